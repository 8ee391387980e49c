import type { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import type { IConstruct, Node } from "constructs";
import { type TerraformResource, TerraformStack } from "./cdktf";
import type { ServiceRoles } from "./service-roles";

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

/**
 * The roles, their policies and the task definition lived directly in EmfFargateService before it was
 * composed of ServiceRoles and ServiceTaskDefinition: `moved` blocks from those addresses keep their state.
 */
export function keepFormerServiceAddresses(
  service: IConstruct,
  roles: ServiceRoles,
  taskDefinition: EcsTaskDefinition,
): void {
  for (const [resource, formerId] of [
    [roles.executionRole, "ExecutionRole"],
    [roles.node.findChild("ExecutionRoleManaged"), "ExecutionRoleManaged"],
    [roles.node.findChild("ExecutionRoleSecrets"), "ExecutionRoleSecrets"],
    [roles.taskRole, "TaskRole"],
    [roles.node.tryFindChild("TaskRoleExec"), "TaskRoleExec"],
    [taskDefinition, "TaskDefinition"],
  ] as const) {
    if (resource) movedFrom(resource as TerraformResource, service, formerId);
  }
}
