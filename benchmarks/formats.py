"""Import speed of the annotation-tool readers beside a plain json + pd.json_normalize baseline.

Run: ``python benchmarks/formats.py [--n 1000000] [--dir TMP]``. Writes two synthetic
exports (deleted afterwards) and reads each, in a fresh process per measurement so that peak
memory is measured too:

1. Label Studio JSON export: ``n`` judgments (``n / 4`` tasks x 4 annotations, one
   ``choices`` result each) into the long annotations table. Ours:
   ``io.load_table(path, kind="annotations", format="label-studio")`` (tasks decoded one at a
   time, validation included). Baseline: ``json.load`` of the whole file, then
   ``pd.json_normalize(tasks, record_path="annotations", meta=["id"])`` and
   ``pd.json_normalize`` of the results, no validation.
2. Prodigy JSONL: ``n`` lines into the annotations table. Ours:
   ``io.load_table(path, kind="annotations", format="prodigy")`` (repeated answers and
   ``ignore`` handled, validation included; the file parsed by polars' NDJSON reader with
   declared types, a runtime dependency, or by Arrow's JSON reader without polars).
   Baseline: ``json.loads`` of every line, then ``pd.json_normalize`` of the records, no
   deduplication, no validation.

Both files are also read by the columnar readers, with no validation or resolution of
repeated answers: ``pyarrow.json.read_json`` and ``polars.read_ndjson`` for the Prodigy
JSON lines (every field, types inferred), ``polars.read_json`` for the Label Studio JSON
array (Arrow's reader takes JSON lines only). Each measurement includes importing the
library it uses, from its bytecode (the workbench's is compiled first, as an install does).
Issue 33's goal: ours at least 0.7x their speed, validation included.

Prints wall time, peak resident memory (of that process, so it includes the interpreter and
pandas) and the ratio baseline / ours (above 1: ours is faster). Run it alone: timings on a
loaded machine are not evidence; compare the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

LABELS = ["Positive", "Negative", "Neutral"]


def write_label_studio(path: Path, n: int) -> None:
    gen = np.random.default_rng(0)
    n_tasks = n // 4
    labels = gen.integers(0, 3, n)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("[")
        k = 0
        for t in range(n_tasks):
            anns = []
            for j in range(4):
                anns.append({
                    "id": k, "completed_by": int(j + 4 * (t % 25)),
                    "result": [{"id": f"r{k}", "from_name": "sentiment", "to_name": "text", "type": "choices",
                                "value": {"choices": [LABELS[labels[k]]]}}],
                    "was_cancelled": False, "ground_truth": False,
                    "created_at": f"2024-05-{1 + t % 28:02d}T10:{j:02d}:00.000000Z", "lead_time": 3.5 + j, "task": t,
                })
                k += 1
            task = {"id": t, "data": {"text": f"review number {t} of the product"}, "annotations": anns, "predictions": []}
            fh.write(("," if t else "") + json.dumps(task))
        fh.write("]")


def write_prodigy(path: Path, n: int) -> None:
    gen = np.random.default_rng(1)
    answers = np.array(["accept", "reject", "ignore"])[gen.choice(3, n, p=[0.5, 0.42, 0.08])]
    n_inputs = max(n // 20, 1)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            item = i % n_inputs
            fh.write(json.dumps({
                "text": f"sentence number {item} about a new dataset", "_input_hash": item, "_task_hash": item + 7,
                "label": "new-dataset", "_view_id": "classification", "answer": str(answers[i]),
                "_timestamp": 1694858483 + i, "_annotator_id": f"ds-{i // n_inputs}", "_session_id": f"ds-{i // n_inputs}",
            }) + "\n")


OURS = {
    "label-studio": "import warnings; warnings.simplefilter('ignore')\n"
                    "from workbench import io\n"
                    "df = io.load_table(PATH, kind='annotations', format='label-studio')\n"
                    "rows = len(df)",
    "prodigy": "import warnings; warnings.simplefilter('ignore')\n"
               "from workbench import io\n"
               "df = io.load_table(PATH, kind='annotations', format='prodigy')\n"
               "rows = len(df)",
}
BASELINE = {
    "label-studio": "import json, pandas as pd\n"
                    "tasks = json.load(open(PATH, encoding='utf-8'))\n"
                    "ann = pd.json_normalize(tasks, record_path='annotations', meta=['id'], meta_prefix='task.')\n"
                    "res = pd.json_normalize(ann.pop('result').str[0].tolist())\n"
                    "df = pd.concat([ann, res], axis=1)\n"
                    "rows = len(df)",
    "prodigy": "import json, pandas as pd\n"
               "with open(PATH, encoding='utf-8') as fh:\n"
               "    recs = [json.loads(line) for line in fh]\n"
               "df = pd.json_normalize(recs)\n"
               "rows = len(df)",
}


#: The columnar readers on the same files (flat tables of the records: no validation, no
#: repeated answers resolved, Label Studio's annotations left nested).
COLUMNAR = {
    "label-studio": {
        "polars.read_json": "import polars as pl\ndf = pl.read_json(PATH)\nrows = df.height",
    },
    "prodigy": {
        "pyarrow.json.read_json": "import pyarrow.json as pj\nt = pj.read_json(PATH)\nrows = t.num_rows",
        "polars.read_ndjson": "import polars as pl\ndf = pl.read_ndjson(PATH)\nrows = df.height",
        # context, not a goal: the same parse handed to pandas, the table users of the workbench get
        "polars.read_ndjson + to_pandas": "import polars as pl\ndf = pl.read_ndjson(PATH).to_pandas()\nrows = len(df)",
    },
}


def measure(code: str, path: Path, repeat: int = 1) -> tuple[float, float, int]:
    """Best of ``repeat`` fresh interpreters running ``code``: (seconds, peak RSS in MiB, rows)."""
    runs = [_measure_once(code, path) for _ in range(repeat)]
    return min(r[0] for r in runs), max(r[1] for r in runs), runs[0][2]


def _measure_once(code: str, path: Path) -> tuple[float, float, int]:
    prog = (
        "import resource, time\n"
        f"PATH = {str(path)!r}\n"
        "import pandas  # imported before the clock starts, as in any session\n"
        "t0 = time.perf_counter()\n"
        f"{code}\n"
        "t = time.perf_counter() - t0\n"
        "print(t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rows)\n"
    )
    out = subprocess.run([sys.executable, "-c", prog], check=True, capture_output=True, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    t, mem, rows = out.stdout.split()
    return float(t), float(mem), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="judgments (Label Studio) and lines (Prodigy)")
    parser.add_argument("--dir", type=Path, default=None, help="folder for the temporary exports")
    parser.add_argument("--repeat", type=int, default=3,
                        help="fresh processes per reader and the columnar anchors (best is reported; the "
                             "json + json_normalize baseline runs once)")
    args = parser.parse_args()
    # Bytecode of the workbench, as pip writes it when it installs a package (the anchors' bytecode
    # was written then). Where PYTHONDONTWRITEBYTECODE is set and the package is installed editable,
    # every fresh process would otherwise compile our sources again: about 20 ms of each reading.
    compileall.compile_dir(str(Path(__file__).resolve().parents[1] / "workbench"), quiet=1)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        for fmt, writer, name in (("label-studio", write_label_studio, "export.json"), ("prodigy", write_prodigy, "db-out.jsonl")):
            path = Path(tmp) / name
            t0 = time.perf_counter()
            writer(path, args.n)
            size = path.stat().st_size / 2**20
            print(f"\n== {fmt}: {args.n:,} {'judgments' if fmt == 'label-studio' else 'lines'}, "
                  f"{size:,.0f} MiB (written in {time.perf_counter() - t0:.1f} s) ==")
            t_ours, m_ours, r_ours = measure(OURS[fmt], path, args.repeat)
            t_base, m_base, r_base = measure(BASELINE[fmt], path)
            print(f"  ours      {t_ours:7.2f} s  peak {m_ours:7,.0f} MiB  {r_ours:,} rows (validated long table)")
            print(f"  baseline  {t_base:7.2f} s  peak {m_base:7,.0f} MiB  {r_base:,} rows (json + pd.json_normalize)")
            print(f"  ratio baseline/ours: time {t_base / t_ours:.2f}x, memory {m_base / m_ours:.2f}x")
            for name, code in COLUMNAR[fmt].items():
                t_col, m_col, r_col = measure(code, path, args.repeat)
                print(f"  {name:<24} {t_col:7.2f} s  peak {m_col:7,.0f} MiB  {r_col:,} rows -> ours at "
                      f"{t_col / t_ours:.2f}x its speed" + (" (goal >= 0.7x)" if "+" not in name else ""))
            path.unlink()


if __name__ == "__main__":
    main()
