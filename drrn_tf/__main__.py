import sys

from drrn_tf.cli import main

sys.exit(main())
