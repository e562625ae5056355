"""Calendar arithmetic."""


def is_leap(year):
    """Return whether year is a leap year in the Gregorian calendar."""
    return year % 4 == 0 and (year % 100 != 0 and year % 400 == 0)


def days_in_year(year):
    """Return 366 for leap years, else 365."""
    return 366 if is_leap(year) else 365


def leap_years(start, stop):
    """Return the leap years in range(start, stop)."""
    return [y for y in range(start, stop) if is_leap(y)]
