"""Every corpus circuit survives gatecc's readers and writers with its port names.

    python benchmarks/roundtrip.py [--level 1] [--formats aiger,blif,verilog] [DIR_OR_FILE ...]

Default corpus: benchmarks/corpus/epfl (13 circuits) and benchmarks/corpus/lgsynth93 (83).
Each circuit is read (AIGER), optimised at ``--level``, written as AIGER and
BLIF, and ABC's *plain* ``cec`` (ports matched by name, not by order) proves the
written file equal to the original; the written file is read back and its port
names must equal the original's.  A file without a symbol table (every
LGSynth93 circuit here) is first written by ABC with the names ABC gives its
ports (``pi00..``, ``po0..``), and that copy is the original.  ``verilog`` (off by default: slower) has yosys
read the Verilog and map it to gates without optimising (``proc; flatten;
techmap; aigmap``), then ``cec`` compares yosys's netlist with the original,
again by name (yosys names bus bits ``opcode[3]``, as the original does).  Needs ABC (Debian
berkeley-abc) and, for Verilog, yosys.  Prints one line per circuit and
``passed N/M``; exits 1 when any circuit fails.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = [HERE / "corpus" / "epfl", HERE / "corpus" / "lgsynth93"]
READERS = {"aiger": ".aig", "blif": ".blif", "verilog": ".v"}


def cec(abc: str, ref: Path, impl: Path) -> bool:
    """ABC's plain cec (ports matched by name) says the two files are equal."""
    out = subprocess.run([abc, "-c", f"cec {ref} {impl}"], capture_output=True, text=True, timeout=1800)
    return "Networks are equivalent" in out.stdout + out.stderr


def check(path: Path, level: int, formats: list[str], abc: str, yosys: str | None, tmp: Path) -> list[str]:
    """The problems found with one circuit (empty when it round-trips)."""
    from gatecc.compiler import lower_to_source
    from gatecc.importers.aiger import read_aiger
    from gatecc.importers.blif import read_blif

    original = read_aiger(path)
    if original.input_names is None and original.output_names is None:
        # No symbol table (the LGSynth93 files have none): ABC calls the ports pi00.., po0..
        # and writes them out, so the names under test are real names in a file.
        named = tmp / f"{path.stem}.named.aig"
        subprocess.run([abc, "-c", f"read {path}; write_aiger -s {named}"], capture_output=True, timeout=600)
        path, original = named, read_aiger(named)
    problems = []
    for fmt in formats:
        out = tmp / f"{path.stem}{READERS[fmt]}"
        source = lower_to_source(original, fmt, level, cache=False).source
        out.write_bytes(source) if isinstance(source, bytes) else out.write_text(source)
        if fmt == "verilog":
            synth = tmp / f"{path.stem}.yosys.blif"
            res = subprocess.run([yosys, "-q", "-p", f"read_verilog {out}; hierarchy -check -top gatecc_net; proc; "
                                  f"flatten; techmap; aigmap; write_blif -gates {synth}"], capture_output=True, text=True, timeout=1800)
            if res.returncode or not cec(abc, path, synth):
                problems.append("verilog: yosys's netlist is not cec-equal by name")
            continue
        if not cec(abc, path, out):
            problems.append(f"{fmt}: plain cec fails")
        back = (read_aiger if fmt == "aiger" else read_blif)(out)
        if (back.input_names, back.output_names) != (original.input_names, original.output_names):
            problems.append(f"{fmt}: port names changed")
    return problems


def main(argv=None) -> int:
    """Run the round trips over the given circuits (default: the whole corpus)."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--level", type=int, default=1, help="gatecc -O level between reading and writing (default 1)")
    ap.add_argument("--formats", default="aiger,blif", help="comma-separated: aiger, blif, verilog")
    args = ap.parse_args(argv)
    abc, yosys = shutil.which("berkeley-abc"), shutil.which("yosys")
    formats = args.formats.split(",")
    if abc is None or ("verilog" in formats and yosys is None):
        print("roundtrip: needs berkeley-abc (and yosys for verilog)", file=sys.stderr)
        return 2
    files = sorted(f for p in args.paths for f in (p.glob("*.aig") if p.is_dir() else [p]))
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            start = time.perf_counter()
            problems = check(f, args.level, formats, abc, yosys, Path(tmp))
            passed += not problems
            print(f"{f.parent.name}/{f.name:<18} {'ok' if not problems else 'FAIL ' + '; '.join(problems)}"
                  f"  {time.perf_counter() - start:.1f} s", flush=True)
    print(f"passed {passed}/{len(files)} ({', '.join(formats)}, -O{args.level}, plain cec by name)")
    return 0 if passed == len(files) else 1


if __name__ == "__main__":
    sys.exit(main())
