"""The file given to ``spark-submit`` (see the package's description); ``python -m
cscperf.spark_submit --path`` prints where it is."""

import sys

from cscperf.spark_submit import main

sys.exit(main())
