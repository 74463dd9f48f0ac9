#!/usr/bin/env bash
# Rebuilds the bridge package in eng/nuget/packages from its checked-in .nuspec.
# The .nupkg is committed because restore needs it before anything can be built.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
rm -f "$here"/packages/patched.distributedlock.postgres.*.nupkg "$here"/packages/Patched.DistributedLock.Postgres.*.nupkg
dotnet pack "$here/bridge/Bridge.csproj" -nologo -v:q
ls -l "$here/packages"
