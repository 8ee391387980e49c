#!/usr/bin/env bash
# npm run plan -- <file.tfvars> [terraform plan arguments...]
# terraform init + plan of the synthesized stack (npm run synth first) with the per-deploy variables in a
# .tfvars file; the plan is saved as tfplan next to cdk.tf.json for `terraform apply tfplan`.
set -euo pipefail
varfile=${1:?usage: npm run plan -- <path/to/file.tfvars> [terraform plan arguments...]}
shift
[ -f "$varfile" ] || { echo "no such .tfvars file: $varfile" >&2; exit 2; }
varfile=$(cd "$(dirname "$varfile")" && pwd)/$(basename "$varfile")
stack=${STACK_DIR:-$(cd "$(dirname "$0")/.." && pwd)/cdktf.out/stacks/koaapp}
[ -f "$stack/cdk.tf.json" ] || { echo "$stack/cdk.tf.json is missing: run npm run synth first" >&2; exit 2; }
export CHECKPOINT_DISABLE=${CHECKPOINT_DISABLE:-1}
terraform -chdir="$stack" init -input=false
terraform -chdir="$stack" plan -input=false -var-file="$varfile" -out=tfplan "$@"
