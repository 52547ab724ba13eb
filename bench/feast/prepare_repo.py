"""Writes the Feast feature repo of the serving benchmark: features.py and the offline parquet.

Usage: prepare_repo.py REPO_DIR ROWS_CSV. ROWS_CSV is what bench/serving.ts seeded into fstore's
Redis layout (header product_id,avg_review,avg_review_rating,revenue_by_product,units_sold,
event_time_ms), so both servers hold the same values. feature_store.yaml is written by the runner.
"""

import shutil
import sys
from pathlib import Path

import pandas as pd


def main(repo_dir: str, rows_csv: str) -> None:
    repo = Path(repo_dir)
    (repo / "data").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).resolve().parent / "features.py", repo / "features.py")
    rows = pd.read_csv(rows_csv, dtype={"product_id": str})
    frame = pd.DataFrame(
        {
            "product_id": rows["product_id"],
            "avg_review": rows["avg_review"].astype("float64"),
            "avg_review_rating": rows["avg_review_rating"].astype("float64"),
            "revenue_by_product": rows["revenue_by_product"].astype("float64"),
            "units_sold": rows["units_sold"].astype("int64"),
            "event_timestamp": pd.to_datetime(rows["event_time_ms"], unit="ms", utc=True),
        }
    )
    frame.to_parquet(repo / "data" / "product_features.parquet", index=False)
    print(f"wrote {len(frame)} rows to {repo / 'data' / 'product_features.parquet'}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
