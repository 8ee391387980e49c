import { type TerraformResource, TerraformStack } from "cdktf";
import type { IConstruct, Node } from "constructs";

/**
 * Records that `resource` used to be the child `formerId` of `formerScope`, as a Terraform `moved` block,
 * so a stack deployed before a construct was split up moves the resource to its new address in the state
 * instead of destroying and recreating it. A `moved` block whose old address is not in the state does
 * nothing, so fresh deployments are unaffected.
 *
 * The former address is computed the way the stack allocates logical ids, from the path the resource had.
 */
export function movedFrom(resource: TerraformResource, formerScope: IConstruct, formerId: string): void {
  // getLogicalId reads only the scopes of a node and their ids; the former path no longer exists as a
  // construct, so it is described by those two things alone.
  const former = { scopes: [...formerScope.node.scopes, { node: { id: formerId } }] } as unknown as Node;
  const formerLogicalId = TerraformStack.of(resource).getLogicalId(former);
  resource.moveFromId(`${resource.terraformResourceType}.${formerLogicalId}`);
}
