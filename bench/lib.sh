# Shared by the bench/ scripts (sourced from the repository root).

# The evaluator command: "dotnet PATH.dll", a single-file executable as given, or (no argument)
# a fresh Release build of this checkout.
evaluator_command() {
  local given=${1:-}
  if [ -z "$given" ]; then
    dotnet build Evaluator.Node -c Release -v q -nologo >/dev/null
    echo "dotnet Evaluator.Node/bin/Release/net10.0/evaluator.dll"
  elif [[ "$given" == *.dll ]]; then
    echo "dotnet $given"
  else
    echo "$given"
  fi
}

# Installs Debian packages when /usr/bin/python3 cannot import the modules.
#   need_python "numpy, sklearn" python3-numpy python3-sklearn
need_python() {
  local modules=$1; shift
  if ! /usr/bin/python3 -c "import $modules" 2>/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}
