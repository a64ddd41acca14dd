"""Checks ISF files with Volatility 3 itself (layout-expert, tests/profile_formats.rs).

Usage: vol3_check.py [--types=a,b,c] FILE...; with --types only those user types are described.
For each file given: validate it with jsonschema against the schema Volatility 3 ships for the
file's format version, load it as Volatility 3's Linux kernel symbol table (which registers its
23 mandatory type classes and fails if one is missing), and print, as JSON, what Volatility sees:
each user type's size and members (with anonymous members flattened, as Volatility does), the
type and address of the typed symbols, and the banner Volatility would match images against.
"""
import json
import lzma
import os
import sys

import jsonschema
import volatility3
from volatility3.framework import contexts
from volatility3.framework.automagic import symbol_cache
from volatility3.framework.symbols import linux

# Volatility's command line imports every framework module at start; a script must import the
# network extensions itself before loading a Linux kernel table.
import volatility3.framework.symbols.linux.extensions.network  # noqa: F401


def describe(template):
    vol = template.vol
    out = {"type_name": vol.type_name}
    if "start_bit" in vol:
        out["start_bit"] = vol.start_bit
        out["end_bit"] = vol.end_bit
    if "count" in vol:
        out["count"] = vol.count
    return out


def check(path, only_types):
    opener = lzma.open if path.endswith(".xz") else open
    with opener(path, "rt") as f:
        document = json.load(f)
    schema_path = os.path.join(
        os.path.dirname(volatility3.__file__), "schemas", "schema-%s.json" % document["metadata"]["format"]
    )
    with open(schema_path) as f:
        schema = json.load(f)
    jsonschema.validate(document, schema)

    context = contexts.Context()
    table = linux.LinuxKernelIntermedSymbols(
        context, "layout_expert_test", name="lx", isf_url="file://" + os.path.abspath(path)
    )
    context.symbol_space.append(table)
    types = {}
    for name in document["user_types"]:
        if only_types is not None and name not in only_types:
            continue
        template = table.get_type(name)
        members = {}
        for member, (offset, member_template) in template.vol.members.items():
            members[member] = dict(describe(member_template), offset=offset)
        types[name] = {"size": template.vol.size, "members": members}
    symbols = {}
    for name, symbol in document["symbols"].items():
        if symbol.get("type", {}).get("name") == "void":
            continue
        found = table.get_symbol(name)
        symbols[name] = {"address": found.address, "type": describe(found.type)}
    banner = symbol_cache.LinuxIdentifier.get_identifier(document)
    return {
        "schema": os.path.basename(schema_path),
        "types": types,
        "symbols": symbols,
        "banner": banner.decode("latin-1") if banner else None,
    }


arguments = sys.argv[1:]
only = None
if arguments and arguments[0].startswith("--types="):
    only = set(arguments.pop(0)[len("--types="):].split(","))
print(json.dumps({path: check(path, only) for path in arguments}))
