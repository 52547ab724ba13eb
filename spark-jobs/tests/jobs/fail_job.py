"""Medium-test fixture: a batch that raises (Livy must report it `dead`, its log readable)."""

import sys

print("fail_job: about to raise", flush=True)
raise RuntimeError(f"intentional failure for the Livy tests ({' '.join(sys.argv[1:])})")
