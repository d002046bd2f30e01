#!/bin/sh
# The container's entrypoint: for every variable NAME_FILE of the environment that names a
# file under /run/secrets/, exports NAME with the first line of that file, so that secrets
# mounted as files (compose secrets, Kubernetes Secret volumes) reach the configuration's
# ${NAME} without being written in the container's definition. Then runs vigie with the
# given arguments.
set -eu
for assignment in $(env | grep -o '^[A-Za-z_][A-Za-z0-9_]*_FILE=/run/secrets/' || true); do
  file_var=${assignment%%=*}
  name=${file_var%_FILE}
  eval "path=\${$file_var}"
  if [ ! -r "$path" ]; then
    echo "vigie entrypoint: $file_var names $path, which cannot be read" >&2
    exit 2
  fi
  IFS= read -r value < "$path" || true
  export "$name=$value"
  unset "$file_var"
done
exec vigie "$@"
