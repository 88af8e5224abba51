#!/usr/bin/env bash
# The fastest-starting build of the node for linux-x64: self-contained (no .NET runtime needed
# on the machine), one executable file, ReadyToRun (precompiled: little JIT at start).
#   ./publish.sh [OUT_DIR=publish]      then: OUT_DIR/evaluator evaluate --gt ... --pred ...
# Untrimmed: Akka.NET creates actors, serializers and plugins by reflection from HOCON names.
# The hocon/ and Dashboard/ folders and SQLite's native library stay beside the executable.
# Not composite (the SDK's default for a self-contained single file): composite ReadyToRun, which
# would also precompile generic instantiations across assemblies, compiles the whole framework
# with the app, and ran over 38 minutes (and, in a second try, 50) on the 2-core VM without finishing.
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-publish}
dotnet publish Evaluator.Node/Evaluator.Node.csproj -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=false \
  -o "$out" -nologo -v q
echo "$out/evaluator"
