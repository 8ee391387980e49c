/**
 * ECS Service Connect, opt-in: the service joins a Cloud Map namespace as a client (its tasks reach the namespace's
 * services by their DNS aliases through the proxy ECS adds to each task) and, optionally, as a server (its port is
 * an endpoint of the namespace). The options, their checks, the created HTTP namespace, the ingress from the
 * namespace's clients, and the service's `service_connect_configuration`.
 *
 * Facts relied on, from the ECS developer guide's "Service Connect" (awsdocs/amazon-ecs-developer-guide
 * doc_source/service-connect.md at 021abe8ca185a054dea7bab21e631f9461e05bd6) and the ECS API reference
 * (PortMapping.name, ServiceConnectService.discoveryName, ServiceConnectClientAlias.dnsName): every service with
 * Service Connect is a client; a server is a client with a service entry naming a port mapping; the proxy in a
 * server task listens on the container port, so clients' security groups must be admitted there; discovery names
 * are unique in a namespace (so the construct always sets one instead of ECS's default, the port name); the proxy
 * takes the task CPU and memory the containers leave (256 CPU units and 64 MiB recommended); `appProtocol` adds
 * protocol metrics and cannot change on a Service Connect service without deleting it.
 */
import type { EcsServiceServiceConnectConfiguration } from "@cdktf/provider-aws/lib/ecs-service";
import { ServiceDiscoveryHttpNamespace } from "@cdktf/provider-aws/lib/service-discovery-http-namespace";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import { checkResourceIds } from "./aws-rules";
import type { LogConfiguration } from "./container-definition";
import { type Checker, isKnown, isObject, keysOf } from "./validation";

/** A Cloud Map namespace created here: an HTTP namespace (API discovery only, no Route 53 hosted zone). */
export interface CreateNamespaceOptions {
  /** Name of the namespace (1-1024 printable ASCII characters, no spaces). */
  readonly name: string;
  /** Its description. @default - "Service Connect namespace of <serviceName>" */
  readonly description?: string;
}

/** The namespace the service joins: an existing one by ARN, or one created here. Exactly one. */
export interface ServiceConnectNamespace {
  /** ARN of an existing Cloud Map namespace in the service's account and region. @default - none */
  readonly arn?: string;
  /** Create an HTTP namespace. @default - none */
  readonly create?: CreateNamespaceOptions;
}

/** The service as a server of the namespace: its container port becomes an endpoint `<dnsName>:<port>`. */
export interface ServiceConnectServer {
  /** Name of the app container's port mapping the endpoint serves. @default "http" */
  readonly portName?: string;
  /** Name of the Cloud Map service ECS creates for the endpoint; unique in the namespace. @default - the service name in lower case */
  readonly discoveryName?: string;
  /** DNS name clients in the namespace connect to. @default - the discovery name */
  readonly dnsName?: string;
  /** Port clients connect to (the proxy still receives on the container port). @default - container.port */
  readonly port?: number;
  /**
   * Application protocol of the port: Service Connect then reports HTTP status and response-time metrics. ECS cannot
   * change it on a running Service Connect service (the service must be recreated).
   * @default "http"
   */
  readonly appProtocol?: "http" | "http2" | "grpc";
  /**
   * Security groups of the namespace's client services, admitted to the container port. Each once, and none that
   * `network.ingressSecurityGroupIds` already admits (the same rule: EC2 refuses a duplicate).
   * @default - none
   */
  readonly ingressSecurityGroupIds?: readonly string[];
}

/** Service Connect: the namespace, and optionally the service as a server of it. */
export interface ServiceConnectOptions {
  /** The Cloud Map namespace the service joins. */
  readonly namespace: ServiceConnectNamespace;
  /** Serve the app's port as an endpoint of the namespace. @default - client only: the tasks reach the namespace's endpoints, none reaches them */
  readonly server?: ServiceConnectServer;
}

/** {@link ServiceConnectOptions} with every default resolved. */
export interface ResolvedServiceConnect {
  readonly namespaceArn?: string;
  readonly create?: { readonly name: string; readonly description: string };
  readonly server?: {
    readonly portName: string;
    readonly discoveryName: string;
    readonly dnsName: string;
    readonly port: number;
    readonly appProtocol: "http" | "http2" | "grpc";
    readonly ingressSecurityGroupIds: readonly string[];
  };
}

const CONNECT_KEYS = keysOf<ServiceConnectOptions>({ namespace: true, server: true });
const NAMESPACE_KEYS = keysOf<ServiceConnectNamespace>({ arn: true, create: true });
const CREATE_KEYS = keysOf<CreateNamespaceOptions>({ name: true, description: true });
const SERVER_KEYS = keysOf<ServiceConnectServer>({
  portName: true,
  discoveryName: true,
  dnsName: true,
  port: true,
  appProtocol: true,
  ingressSecurityGroupIds: true,
});

/** A Cloud Map namespace ARN. */
const NAMESPACE_ARN = /^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:namespace\/ns-[a-z0-9]{1,64}$/;
/** A port mapping name and a discovery name: up to 64 lowercase letters, digits, `_` and `-`, not starting with `-`. */
const PORT_NAME = /^[a-z0-9_][a-z0-9_-]{0,63}$/;
/** A client alias DNS name: up to 127 lowercase letters, digits, `_`, `-` and `.`, not starting with `-`. */
const DNS_NAME = /^[a-z0-9_.][a-z0-9_.-]{0,126}$/;

/** Resolves the Service Connect options; `serviceName` and `containerPort` give the server's defaults. */
export function resolveServiceConnect(
  options: ServiceConnectOptions,
  serviceName: string,
  containerPort: number,
): ResolvedServiceConnect {
  const namespace: ServiceConnectNamespace = isObject(options.namespace) ? options.namespace : {};
  const create = isObject(namespace.create) ? namespace.create : undefined;
  const server = isObject(options.server) ? (options.server as ServiceConnectServer) : undefined;
  const discoveryName = server?.discoveryName ?? String(serviceName).toLowerCase();
  return {
    namespaceArn: namespace.arn,
    create: create && {
      name: create.name,
      description: create.description ?? `Service Connect namespace of ${serviceName}`,
    },
    server: server && {
      portName: server.portName ?? "http",
      discoveryName,
      dnsName: server.dnsName ?? discoveryName,
      port: server.port ?? containerPort,
      appProtocol: server.appProtocol ?? "http",
      ingressSecurityGroupIds: server.ingressSecurityGroupIds ?? [],
    },
  };
}

/** Checks the Service Connect options (`c` is the `serviceConnect` prop's checker); `raw` is the prop as given. */
export function checkServiceConnect(c: Checker, raw: unknown, s: ResolvedServiceConnect): void {
  const given = c.object(raw, CONNECT_KEYS, "ServiceConnectOptions");
  if (Object.keys(given).length === 0 && !isObject(raw)) return;
  const ns = c.at("namespace");
  const allowedNamespace = "{ arn } of an existing Cloud Map namespace, or { create: { name } }";
  if (ns.required(given.namespace, allowedNamespace)) {
    const namespace = ns.object(given.namespace, NAMESPACE_KEYS, "ServiceConnectNamespace");
    const chosen = NAMESPACE_KEYS.filter((k) => namespace[k] !== undefined);
    if (isObject(given.namespace))
      ns.check(
        chosen.length !== 1,
        given.namespace,
        chosen.length === 0 ? "names no namespace" : `sets ${chosen.join(" and ")}`,
        `exactly one of: ${allowedNamespace}`,
      );
    ns.at("arn").matches(
      s.namespaceArn,
      NAMESPACE_ARN,
      "a Cloud Map namespace ARN",
      "arn:aws:servicediscovery:<region>:<account>:namespace/ns-<id>",
    );
    const create = ns.at("create").object(namespace.create, CREATE_KEYS, "CreateNamespaceOptions");
    if (
      namespace.create !== undefined &&
      ns.at("create").at("name").required(create.name, "a namespace name")
    )
      ns.at("create")
        .at("name")
        .matches(
          create.name,
          /^[!-~]{1,1024}$/,
          "a namespace name",
          "1-1024 printable ASCII characters, no spaces",
        );
    ns.at("create")
      .at("description")
      .matches(create.description, /^[\s\S]{0,1024}$/, "a description", "at most 1024 characters");
  }
  if (given.server === undefined) return;
  const at = c.at("server");
  at.object(given.server, SERVER_KEYS, "ServiceConnectServer");
  const server = s.server;
  if (!server) return;
  const nameRule = "up to 64 lowercase letters, digits, _ and -, not starting with -";
  at.at("portName").matches(server.portName, PORT_NAME, "a port mapping name", nameRule);
  at.at("discoveryName").matches(
    server.discoveryName,
    PORT_NAME,
    "a discovery name",
    `${nameRule} (the default is the service name in lower case: set server.discoveryName when that does not fit)`,
  );
  if (isKnown(server.dnsName))
    at.at("dnsName").check(
      typeof server.dnsName !== "string" ||
        !DNS_NAME.test(server.dnsName) ||
        server.dnsName.startsWith(".") ||
        server.dnsName.endsWith(".") ||
        server.dnsName.includes(".."),
      server.dnsName,
      "is not a client alias DNS name",
      "up to 127 lowercase letters, digits, _, - and ., labels separated by single dots, not starting with -",
    );
  at.at("port").integer(server.port, 1, 65535);
  at.at("appProtocol").oneOf(server.appProtocol, ["http", "http2", "grpc"]);
  checkResourceIds(
    at.at("ingressSecurityGroupIds"),
    server.ingressSecurityGroupIds,
    "securityGroup",
    0,
    "security group IDs of the namespace's client services",
  );
}

/**
 * Why the task leaves the Service Connect proxy less than ECS recommends, if it does: the proxy runs on the task
 * CPU and memory the containers do not reserve.
 */
export function proxyHeadroomWarnings(
  task: { readonly cpu: number; readonly memoryMiB: number },
  containers: { readonly cpu: number; readonly memoryMiB: number },
): string[] {
  const warnings: string[] = [];
  const cpu = task.cpu - containers.cpu;
  const memory = task.memoryMiB - containers.memoryMiB;
  if ([task.cpu, containers.cpu].every(isKnown) && cpu < 256)
    warnings.push(
      `task.cpu ${task.cpu} leaves ${cpu} CPU units beside the containers' ${containers.cpu} for the Service Connect proxy; ECS recommends 256 (512 above 500 requests per second): raise task.cpu or lower container.cpu or agent.cpu`,
    );
  if ([task.memoryMiB, containers.memoryMiB].every(isKnown) && memory < 64)
    warnings.push(
      `task.memoryMiB ${task.memoryMiB} leaves ${memory} MiB beside the containers' ${containers.memoryMiB} for the Service Connect proxy; ECS recommends at least 64: raise task.memoryMiB or lower the containers' memory`,
    );
  return warnings;
}

/** Props of {@link ServiceConnect}; every value already resolved and validated by the service. */
export interface ServiceConnectProps {
  /** The resolved options. */
  readonly options: ResolvedServiceConnect;
  /** Name of the ECS service (a created namespace's description). */
  readonly serviceName: string;
  /** The containers' log configuration: the proxy logs beside them, under the stream prefix `service-connect`. */
  readonly logConfiguration: LogConfiguration;
  /** Tags. @default - none */
  readonly tags?: Readonly<Record<string, string>>;
}

/**
 * The service's side of Service Connect: a created namespace (`Namespace`), the `service_connect_configuration`
 * block of the ECS service, and the ingress of the namespace's clients ({@link allowClientsIn}).
 */
export class ServiceConnect extends Construct {
  /** ARN of the namespace the service joins. */
  readonly namespaceArn: string;
  /** The ECS service's `service_connect_configuration`. */
  readonly configuration: EcsServiceServiceConnectConfiguration;
  private readonly options: ResolvedServiceConnect;

  constructor(scope: Construct, id: string, props: ServiceConnectProps) {
    super(scope, id);
    this.options = props.options;
    const { create, server } = props.options;
    this.namespaceArn = create
      ? new ServiceDiscoveryHttpNamespace(this, "Namespace", {
          name: create.name,
          description: create.description,
          tags: props.tags,
        }).arn
      : (props.options.namespaceArn as string);
    const log = props.logConfiguration;
    this.configuration = {
      enabled: true,
      namespace: this.namespaceArn,
      logConfiguration: {
        logDriver: log.logDriver,
        options: { ...log.options, "awslogs-stream-prefix": "service-connect" },
      },
      ...(server
        ? {
            service: [
              {
                portName: server.portName,
                discoveryName: server.discoveryName,
                clientAlias: { dnsName: server.dnsName, port: server.port },
              },
            ],
          }
        : {}),
    };
  }

  /**
   * Admits the namespace's client services to the container port of the tasks' security group. The service's
   * validation refused a group admitted twice (here or in `network.ingressSecurityGroupIds`): EC2 would refuse the
   * second identical rule.
   */
  allowClientsIn(securityGroupId: string, containerPort: number): void {
    (this.options.server?.ingressSecurityGroupIds ?? []).forEach((groupId, i) => {
      new VpcSecurityGroupIngressRule(this, `Ingress${i}`, {
        securityGroupId,
        description: "Service Connect clients to the container port",
        ipProtocol: "tcp",
        fromPort: containerPort,
        toPort: containerPort,
        referencedSecurityGroupId: groupId,
      });
    });
  }
}
