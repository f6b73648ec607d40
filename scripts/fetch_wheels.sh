#!/usr/bin/env bash
# Download into wheels/ what training needs on the GPU machine beyond its image (which has torch,
# transformers, accelerate, pyarrow, pandas, fsspec, xxhash, huggingface_hub, numpy and the
# like, but no network): datasets and the two of its needs the image lacks, rapidfuzz, and
# setuptools to install vidiac itself. Run it where PyPI is reachable; scripts/train_gpu.sh
# installs from the folder. The versions are this environment's, the ones the tests passed with.
#   scripts/fetch_wheels.sh            # for Python 3.11 and 3.12 (the image has 3.12)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
packages=(datasets dill multiprocess rapidfuzz setuptools)
pins=$("$python" - "${packages[@]}" <<'EOF'
import sys
from importlib.metadata import PackageNotFoundError, version
try:
    print(" ".join(f"{name}=={version(name)}" for name in sys.argv[1:]))
except PackageNotFoundError as e:
    sys.exit(f"fetch_wheels.sh: {e.name} is not installed here: pip install -e '.[train]' first")
EOF
)
rm -rf wheels && mkdir wheels
for py in 3.11 3.12; do
    # shellcheck disable=SC2086  # $pins is a list of requirements
    "$python" -m pip download -q --no-deps --only-binary=:all: --implementation cp --python-version "$py" \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d wheels $pins
done
echo "$pins" | tr ' ' '\n' > wheels/requirements.txt
du -sh wheels
