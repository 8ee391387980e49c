import { EmfFargateService, type EmfFargateServiceProps } from "../../modules/emf-fargate-service";
import type { ServiceConnectOptions } from "../../modules/service-connect";
import {
  blockOf,
  childOf,
  containerDefinitionsOf,
  containerNamed,
  IDS,
  newStack,
  PUBLIC_LOAD_BALANCER,
  problemLine,
  ref,
  resolved,
  resourcesOf,
  SERVICE_PROPS,
  type Synthesized,
  synthStack,
} from "./support";

const NAMESPACE = "arn:aws:servicediscovery:eu-west-1:123456789012:namespace/ns-e4anhexample0004";
const [CLIENT_GROUP, OTHER_CLIENT_GROUP] = IDS.securityGroups;

function synthService(overrides: Partial<EmfFargateServiceProps>): Synthesized<EmfFargateService> {
  return synthStack((stack) => new EmfFargateService(stack, "Service", { ...SERVICE_PROPS, ...overrides }));
}

function build(serviceConnect: unknown, overrides: Partial<EmfFargateServiceProps> = {}): EmfFargateService {
  return new EmfFargateService(newStack(), "Service", {
    ...SERVICE_PROPS,
    ...overrides,
    serviceConnect: serviceConnect as ServiceConnectOptions,
  });
}

function warningsOf(service: EmfFargateService): string[] {
  return service.node.metadata.filter((m) => m.type === "@cdktf/warn").map((m) => String(m.data));
}

describe("Service Connect as a client", () => {
  // GIVEN a service without a load balancer that joins an existing namespace as a client only
  const synth = synthService({ serviceConnect: { namespace: { arn: NAMESPACE } } });
  const service = synth.built;

  it("GIVEN no load balancer WHEN synthesized THEN the service joins the namespace with the proxy logging beside the containers, and serves nothing", () => {
    expect(blockOf(synth, service.service).service_connect_configuration).toEqual({
      enabled: true,
      namespace: NAMESPACE,
      log_configuration: {
        log_driver: "awslogs",
        options: {
          "awslogs-group": ref(synth.stack, childOf(service, "Logs"), "name"),
          "awslogs-region": ref(synth.stack, childOf(service, "Region"), "name"),
          "awslogs-stream-prefix": "service-connect",
          mode: "non-blocking",
          "max-buffer-size": "4m",
        },
      },
    });
    expect(blockOf(synth, service.service).load_balancer).toBeUndefined();
    expect(resourcesOf(synth.json, "aws_service_discovery_http_namespace")).toEqual([]);
  });

  it("GIVEN a client only WHEN synthesized THEN the port mapping stays unnamed and nothing new may reach the tasks", () => {
    expect(containerNamed(containerDefinitionsOf(synth.json), "koaapp").portMappings).toEqual([
      { containerPort: 5000, hostPort: 5000, protocol: "tcp" },
    ]);
    expect(service.node.tryFindChild("ServiceConnect")?.node.tryFindChild("Ingress0")).toBeUndefined();
  });

  it("GIVEN Service Connect WHEN synthesized THEN the EMF sidecar is exactly what it is without it", () => {
    const without = synthService({});
    expect(containerNamed(containerDefinitionsOf(synth.json), "cloudwatch-agent")).toEqual(
      containerNamed(containerDefinitionsOf(without.json), "cloudwatch-agent"),
    );
  });
});

describe("Service Connect as a server", () => {
  // GIVEN a service behind a load balancer that also serves its port in a namespace it creates
  const synth = synthService({
    loadBalancer: PUBLIC_LOAD_BALANCER,
    task: { cpu: 1024, memoryMiB: 2048 },
    serviceConnect: {
      namespace: { create: { name: "orders.internal" } },
      server: { ingressSecurityGroupIds: [CLIENT_GROUP, OTHER_CLIENT_GROUP] as string[] },
    },
  });
  const service = synth.built;
  const namespace = childOf(service, "ServiceConnect/Namespace");

  it("GIVEN namespace.create WHEN synthesized THEN an HTTP namespace is created and the service serves its port under the lower-case service name", () => {
    expect(blockOf(synth, namespace)).toEqual({
      name: "orders.internal",
      description: "Service Connect namespace of koaapp",
    });
    expect(blockOf(synth, service.service).service_connect_configuration).toMatchObject({
      enabled: true,
      namespace: ref(synth.stack, namespace, "arn"),
      service: [
        { port_name: "http", discovery_name: "koaapp", client_alias: { dns_name: "koaapp", port: 5000 } },
      ],
    });
    // AND other services can join it through the attribute
    expect(resolved(synth.stack, service.serviceConnectNamespaceArn)).toBe(
      ref(synth.stack, namespace, "arn"),
    );
  });

  it("GIVEN a server WHEN synthesized THEN the app's port mapping carries the port name and the HTTP protocol", () => {
    expect(containerNamed(containerDefinitionsOf(synth.json), "koaapp").portMappings).toEqual([
      { containerPort: 5000, hostPort: 5000, protocol: "tcp", name: "http", appProtocol: "http" },
    ]);
  });

  it("GIVEN the clients' security groups WHEN synthesized THEN each is admitted to the container port of the tasks, where the proxy listens", () => {
    const tasks = ref(synth.stack, childOf(service, "Ecs/SecurityGroup"), "id");
    const rules = [0, 1].map((i) => blockOf(synth, childOf(service, `ServiceConnect/Ingress${i}`)));
    expect(rules).toEqual(
      [CLIENT_GROUP, OTHER_CLIENT_GROUP].map((group) => ({
        security_group_id: tasks,
        description: "Service Connect clients to the container port",
        ip_protocol: "tcp",
        from_port: 5000,
        to_port: 5000,
        referenced_security_group_id: group,
      })),
    );
  });

  it("GIVEN a task with room for the proxy WHEN built THEN no headroom warning", () => {
    expect(warningsOf(service).filter((w) => w.includes("Service Connect proxy"))).toEqual([]);
  });

  it("GIVEN every server option WHEN synthesized THEN the endpoint and port mapping follow them", () => {
    const custom = synthService({
      serviceConnect: {
        namespace: { arn: NAMESPACE },
        server: {
          portName: "api",
          discoveryName: "orders-api",
          dnsName: "orders.api",
          port: 80,
          appProtocol: "grpc",
        },
      },
    });
    expect(blockOf(custom, custom.built.service).service_connect_configuration).toMatchObject({
      service: [
        {
          port_name: "api",
          discovery_name: "orders-api",
          client_alias: { dns_name: "orders.api", port: 80 },
        },
      ],
    });
    expect(containerNamed(containerDefinitionsOf(custom.json), "koaapp").portMappings).toEqual([
      { containerPort: 5000, hostPort: 5000, protocol: "tcp", name: "api", appProtocol: "grpc" },
    ]);
  });
});

describe("Service Connect's checks", () => {
  it("GIVEN the default task size WHEN built with Service Connect THEN a warning says the proxy gets no CPU of its own", () => {
    expect(warningsOf(build({ namespace: { arn: NAMESPACE } }))).toEqual([
      "task.cpu 512 leaves 0 CPU units beside the containers' 512 for the Service Connect proxy; ECS recommends 256 (512 above 500 requests per second): raise task.cpu or lower container.cpu or agent.cpu",
    ]);
  });

  // Every row names its overrides: jest passes `done` to a test function with more parameters than the row.
  it.each<[string, unknown, string, Partial<EmfFargateServiceProps>]>([
    [
      "no namespace",
      {},
      "serviceConnect.namespace undefined is required; allowed: { arn } of an existing Cloud Map namespace, or { create: { name } }",
      {},
    ],
    [
      "both an ARN and a created namespace",
      { namespace: { arn: NAMESPACE, create: { name: "x" } } },
      `serviceConnect.namespace {"arn":"${NAMESPACE}","create":{"name":"x"}} sets arn and create; allowed: exactly one of: { arn } of an existing Cloud Map namespace, or { create: { name } }`,
      {},
    ],
    [
      "an ARN of another service",
      { namespace: { arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/x" } },
      'serviceConnect.namespace.arn "arn:aws:ecs:eu-west-1:123456789012:cluster/x" is not a Cloud Map namespace ARN; allowed: arn:aws:servicediscovery:<region>:<account>:namespace/ns-<id>',
      {},
    ],
    [
      "a namespace name with a space",
      { namespace: { create: { name: "my namespace" } } },
      'serviceConnect.namespace.create.name "my namespace" is not a namespace name; allowed: 1-1024 printable ASCII characters, no spaces',
      {},
    ],
    [
      "a port name in upper case",
      { namespace: { arn: NAMESPACE }, server: { portName: "HTTP" } },
      'serviceConnect.server.portName "HTTP" is not a port mapping name; allowed: up to 64 lowercase letters, digits, _ and -, not starting with -',
      {},
    ],
    [
      "a service name too long for the default discovery name",
      { namespace: { arn: NAMESPACE }, server: {} },
      `serviceConnect.server.discoveryName "${"a".repeat(65)}" is not a discovery name; allowed: up to 64 lowercase letters, digits, _ and -, not starting with - (the default is the service name in lower case: set server.discoveryName when that does not fit)`,
      { serviceName: "a".repeat(65) },
    ],
    [
      "a DNS name with an empty label",
      { namespace: { arn: NAMESPACE }, server: { dnsName: "orders..internal" } },
      'serviceConnect.server.dnsName "orders..internal" is not a client alias DNS name; allowed: up to 127 lowercase letters, digits, _, - and ., labels separated by single dots, not starting with -',
      {},
    ],
    [
      "port 0",
      { namespace: { arn: NAMESPACE }, server: { port: 0 } },
      "serviceConnect.server.port 0 is out of range; allowed: an integer from 1 to 65535",
      {},
    ],
    [
      "a protocol Service Connect does not know",
      { namespace: { arn: NAMESPACE }, server: { appProtocol: "tcp" } },
      'serviceConnect.server.appProtocol "tcp" is not allowed; allowed: "http", "http2", "grpc"',
      {},
    ],
    [
      "a client group that is no security group ID",
      { namespace: { arn: NAMESPACE }, server: { ingressSecurityGroupIds: ["orders-clients"] } },
      'serviceConnect.server.ingressSecurityGroupIds[0] "orders-clients" is not a sg ID; allowed: "sg-" and 8 or 17 hexadecimal digits',
      {},
    ],
    [
      "a misspelt server prop",
      { namespace: { arn: NAMESPACE }, server: { dnsNam: "x" } },
      'serviceConnect.server.dnsNam "x" is not a prop of ServiceConnectServer (did you mean dnsName?); allowed: portName, discoveryName, dnsName, port, appProtocol, ingressSecurityGroupIds',
      {},
    ],
  ])("GIVEN %s WHEN built THEN it is refused with its path", (_case, serviceConnect, message, overrides) => {
    expect(() => build(serviceConnect, overrides)).toThrow(problemLine(message));
  });
});
