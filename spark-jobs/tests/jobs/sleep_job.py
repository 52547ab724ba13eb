"""Medium-test fixture: a batch that runs until killed (no SparkSession: only spark-submit)."""

import sys
import time

seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 600
for i in range(seconds):
    print(f"sleep_job: tick {i}", flush=True)
    time.sleep(1)
