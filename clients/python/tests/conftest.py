import os
import sys

# The package from this checkout (an installed copy would also do).
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
