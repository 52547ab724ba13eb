"""Medium-test fixture: a batch as of a time (backfills); it fails for the as-of of --fail-on."""

import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument("--as-of", required=True)
parser.add_argument("--fail-on")
args = parser.parse_args()

print(f"as_of_job: as of {args.as_of}", flush=True)
if args.as_of == args.fail_on:
    print(f"FSTORE_ERROR no data as of {args.as_of}", flush=True)
    sys.exit(1)
