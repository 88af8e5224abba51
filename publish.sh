#!/usr/bin/env bash
# The fastest-starting build of the node for linux-x64: self-contained (no .NET runtime needed
# on the machine), one executable file, ReadyToRun (precompiled: little JIT at start).
#   ./publish.sh [OUT_DIR=publish] [dotnet publish options...]   then: OUT_DIR/evaluator evaluate ...
# Untrimmed: Akka.NET creates actors, serializers and plugins by reflection from HOCON names.
# The hocon/ and Dashboard/ folders and SQLite's native library stay beside the executable.
# Partial composite ReadyToRun (Evaluator.Node.csproj, target ExcludeFrameworkFromComposite): one
# composite image of the app, its packages (LanguageExt.Core aside) and ten framework assemblies
# (System.Private.CoreLib, the collections, LINQ, expression trees, regex, logging), so that the
# generic instantiations across them are precompiled too (a 1-pair evaluate JIT-compiles 842
# methods instead of 3,419); the rest of the framework, ASP.NET Core included, stays as Microsoft
# ships it. crossgen2 takes 2-3.5 minutes and 2.2 GB here (2 cores, shared); a full composite
# (the whole framework) did not finish in 50. -p:PublishReadyToRunComposite=false gives the
# per-assembly build (1.2-1.5 minutes, 30 MB smaller, about 0.3 s more CPU per 1-pair run).
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-publish}
dotnet publish Evaluator.Node/Evaluator.Node.csproj -c Release -r linux-x64 --self-contained true \
  -p:PublishSingleFile=true -p:PublishReadyToRun=true -p:PublishReadyToRunComposite=true \
  -o "$out" -nologo -v q "${@:2}"
echo "$out/evaluator"
