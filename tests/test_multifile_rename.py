"""Renames asked for, carried to the call sites the blast radius found."""

from pathlib import Path

from healloop.context import RunContext
from healloop.engines import GenerationJob
from healloop.engines.rename import (
    RenameEngine,
    carry,
    deliberate,
    rename_uses,
    renamed_symbols,
    requested,
    snake_case,
)
from healloop.state import BlastRadius, Dependent, Finding, ReviewReport, SymbolUse

PRICING = '''"""Prices."""

__all__ = ["getPrice"]


def getPrice(item):
    """Return the price."""
    return PRICES[item]


def cheapest(items):
    """Return the cheapest item."""
    return min(items, key=getPrice)
'''

CART = '''from shop import pricing
from shop.pricing import (
    PRICES,
    getPrice,
)


def total(items, getPrice=None):
    return sum(pricing.getPrice(i) for i in items)
'''


def reader(files: dict[str, str]):
    """Return a read function over these files, raising as a missing file does."""
    def read(path: str) -> str:
        if path not in files:
            raise FileNotFoundError(path)
        return files[path]
    return read


def naming_finding(name: str, rule: str = "N802") -> Finding:
    return Finding(file="shop/pricing.py", rule=rule, source="ruff",
                   message=f"Function name `{name}` should be lowercase")


def test_names_follow_pep8():
    assert snake_case("getHTTPPrice") == "get_http_price"
    assert snake_case("getPrice") == "get_price"


def test_a_rename_in_the_module_renames_the_definition_its_uses_and_all():
    renamed = rename_uses(PRICING, "getPrice", "get_price")
    assert "def get_price(item):" in renamed
    assert "key=get_price" in renamed
    assert '__all__ = ["get_price"]' in renamed
    assert "getPrice" not in renamed


def test_all_is_renamed_whatever_blank_lines_and_comments_come_before_it():
    spaced = PRICING.replace('__all__', '\n\n# What the module exports.\n__all__', 1)
    assert '__all__ = ["get_price"]' in rename_uses(spaced, "getPrice", "get_price")


def test_a_rename_at_call_sites_touches_only_the_statements_on_the_use_lines():
    # Lines 2 (the multi-line import) and 9 (the call); the parameter on line 8 stays.
    renamed = rename_uses(CART, "getPrice", "get_price", {2, 9})
    assert "    get_price,\n" in renamed
    assert "pricing.get_price(i)" in renamed
    assert "def total(items, getPrice=None):" in renamed


def test_renames_are_asked_for_by_naming_findings_or_by_the_human():
    report = ReviewReport(target="shop/pricing.py", findings=[naming_finding("getPrice")])
    assert requested(report) == {"getPrice": "get_price"}
    plain = ReviewReport(target="shop/pricing.py")
    assert requested(plain) == {}
    assert requested(plain, ["please rename `getPrice` to `price_of`"]) == {"getPrice": "price_of"}


def test_a_renamed_symbol_is_recognised_by_its_place_among_the_definitions():
    after = rename_uses(PRICING, "getPrice", "price_of")
    assert renamed_symbols(PRICING, after, {"getPrice"}) == {"getPrice": "price_of"}
    assert renamed_symbols(PRICING, after, {"cheapest"}) == {}
    assert deliberate({"getPrice": "price_of"}, {"getPrice": "get_price"})
    assert not deliberate({"cheapest": "cheap"}, {"getPrice": "get_price"})


def test_carry_rewrites_every_use_the_blast_radius_found():
    blast = BlastRadius(target="shop/pricing.py", dependents=[Dependent(
        module="shop.cart", file="shop/cart.py", symbols=["getPrice"],
        uses=[SymbolUse(symbol="getPrice", file="shop/cart.py", line=2),
              SymbolUse(symbol="getPrice", file="shop/cart.py", line=9)])])
    (change,) = carry({"getPrice": "get_price"}, blast, reader({"shop/cart.py": CART}))
    assert change.path == "shop/cart.py"
    assert "pricing.get_price(i)" in change.content and "    get_price,\n" in change.content


def test_carry_renames_the_declaration_in_the_targets_stub():
    stub = "from typing import Any\n\n\ndef getPrice(item: Any) -> float: ...\n"
    blast = BlastRadius(target="shop/pricing.py")
    (change,) = carry({"getPrice": "get_price"}, blast, reader({"shop/pricing.pyi": stub}))
    assert change.path == "shop/pricing.pyi"
    assert change.content == stub.replace("getPrice", "get_price")


def job(source: str, findings: list[Finding], feedback=()) -> GenerationJob:
    return GenerationJob(
        repo=Path("."), target="shop/pricing.py", source=source, original=source,
        review=ReviewReport(target="shop/pricing.py", findings=findings), blast_radius=None,
        iteration=1, context=RunContext(engine="offline"), feedback=list(feedback))


def test_the_rename_engine_proposes_only_what_was_asked_for():
    (proposal,) = RenameEngine().propose(job(PRICING, [naming_finding("getPrice")]))
    assert proposal.engine == "rename"
    assert "def get_price(item):" in proposal.content
    assert RenameEngine().propose(job(PRICING, [])) == []


def test_the_rename_engine_refuses_a_name_already_taken():
    taken = PRICING + "\n\ndef get_price():\n    return 0\n"
    assert RenameEngine().propose(job(taken, [naming_finding("getPrice")])) == []


def test_a_rename_reaches_the_fields_of_an_f_string_and_nothing_else_in_it():
    source = ('def _pad(s):\n    return s\n\n\n'
              'x = f"_pad {_pad(1)!r:>{_pad(2)}} {{_pad}} {d[\'_pad\']}"\n')
    renamed = rename_uses(source, "_pad", "_pad_right")
    assert renamed.splitlines()[-1] == (
        'x = f"_pad {_pad_right(1)!r:>{_pad_right(2)}} {{_pad}} {d[\'_pad\']}"')


def test_a_call_site_keeps_the_names_it_binds_itself():
    test_module = "import shop.pricing\n\n\nclass T:\n    getPrice = shop.pricing.getPrice\n"
    renamed = rename_uses(test_module, "getPrice", "get_price", {5})
    assert renamed.splitlines()[-1] == "    getPrice = shop.pricing.get_price"
