/**
 * What the fault scenarios share: PostgreSQL and the load process for the tests of one file, and for
 * each scenario a fake CloudWatch agent, the service process in aggregate mode sending to it, and the
 * scenario's row in the table, recorded whether the scenario passes, fails its assertions or throws.
 */
import { FakeAgent } from "../../support/fake-agent";
import { startPostgres, type TestPostgres } from "../../support/postgres";
import { type AgentTally, tallyAgent } from "./agent-tally";
import type { LoadRequest } from "./load";
import { LoadGenerator } from "./load-generator";
import type { ChildSnapshot } from "./server-child";
import {
  type ServerExit,
  type ServerProcess,
  type ServerProcessOptions,
  startServerProcess,
} from "./server-process";
import { errorRow, recordRow, type SummaryRow } from "./summary";

/** The PostgreSQL cluster and load process of a test file, from {@link useFaultHarness}. */
export interface FaultHarness {
  /** The file's PostgreSQL cluster; started in `beforeAll`. */
  readonly postgres: TestPostgres;
  /** The file's load process; started in `beforeAll`. */
  readonly load: LoadGenerator;
  /**
   * Starts a fake agent and a service sending to it, runs `scenario` with them, then records the row the
   * scenario reported (an error row when it threw before reporting one) and kills both.
   */
  run(options: FaultScenarioOptions, scenario: (run: FaultRun) => Promise<void>): Promise<void>;
}

/** Options of {@link FaultHarness.run}: the scenario's row and how its service is started. */
export interface FaultScenarioOptions extends Omit<ServerProcessOptions, "env"> {
  /** The row's sort key: section number, then position within it. */
  readonly order: number;
  /** The row's scenario name. */
  readonly scenario: string;
  /** Environment on top of {@link serviceEnv}'s (which sets LOG_LEVEL=warn). @default {} */
  readonly env?: Readonly<Record<string, string>>;
}

/** What a scenario gets from {@link FaultHarness.run}. */
export interface FaultRun {
  /** The file's PostgreSQL cluster. */
  readonly postgres: TestPostgres;
  /** The file's load process. */
  readonly load: LoadGenerator;
  /** The fake agent the service sends its EMF to. */
  readonly agent: FakeAgent;
  /** The service process. */
  readonly server: ServerProcess;
  /** Sets the scenario's row; call it before asserting, so a failed assertion still leaves the row. */
  report(row: SummaryRow): void;
  /** Sends SIGTERM (SIGKILL after 30 s), then waits for what the service delivered ({@link delivered}). */
  close(): Promise<ClosedService>;
  /** Waits up to 10 s for the service's agent connection to close, then tallies what the agent received. */
  delivered(): Promise<AgentTally>;
}

/** The outcome of {@link FaultRun.close}. */
export interface ClosedService {
  /** Whether the process was still running when SIGTERM was sent. */
  readonly alive: boolean;
  /** How it exited. */
  readonly exit: ServerExit;
  /** The service's final counters, when it got as far as closing its metrics. */
  readonly stats: ChildSnapshot["stats"] | undefined;
  /** What the agent received. */
  readonly tally: AgentTally;
}

/**
 * Registers `beforeAll` (start PostgreSQL, then the load process) and `afterAll` (close both) in the
 * calling `describe` block and returns the harness its tests use.
 */
export function useFaultHarness(): FaultHarness {
  let postgres: TestPostgres | undefined;
  let load: LoadGenerator | undefined;

  beforeAll(async () => {
    postgres = await startPostgres();
    load = await LoadGenerator.start();
  });

  afterAll(async () => {
    await load?.close();
    await postgres?.destroy();
  });

  const harness: FaultHarness = {
    get postgres(): TestPostgres {
      if (!postgres) throw new Error("useFaultHarness: postgres is started in beforeAll, not yet");
      return postgres;
    },
    get load(): LoadGenerator {
      if (!load) throw new Error("useFaultHarness: load is started in beforeAll, not yet");
      return load;
    },
    async run(options, scenario) {
      const { order, scenario: name, env = {}, ...processOptions } = options;
      const agent = await FakeAgent.start();
      let server: ServerProcess | undefined;
      let row: SummaryRow | undefined;
      try {
        server = await startServerProcess({
          ...processOptions,
          env: { ...serviceEnv(harness.postgres, agent.endpoint), ...env },
        });
        const started = server;
        const delivered = async (): Promise<AgentTally> => {
          await agent.waitFor(
            (a) => a.openConnections === 0,
            "the service's agent connection to close",
            10_000,
          );
          return tallyAgent(agent);
        };
        await scenario({
          postgres: harness.postgres,
          load: harness.load,
          agent,
          server: started,
          report: (reported) => {
            row = reported;
          },
          async close() {
            const alive = started.alive();
            const exit = await started.terminate("SIGTERM", 30_000);
            return { alive, exit, stats: exit.snapshot?.stats, tally: await delivered() };
          },
          delivered,
        });
      } catch (err) {
        row ??= errorRow(order, name, err);
        throw err;
      } finally {
        if (row) recordRow(row);
        await server?.kill();
        await agent.stop();
      }
    },
  };
  return harness;
}

/**
 * The environment every scenario's service starts from: `postgres`'s `RDS_*` settings, aggregate
 * metrics sent to `agentEndpoint`, and warnings only (an access line per request would make the pipe to
 * the service process part of the load).
 */
export function serviceEnv(postgres: TestPostgres, agentEndpoint: string): Record<string, string> {
  return {
    ...postgres.env,
    METRICS_MODE: "aggregate",
    AWS_EMF_AGENT_ENDPOINT: agentEndpoint,
    LOG_LEVEL: "warn",
  };
}

/**
 * The row's sample columns: recorded and dropped by the service (its final counters, `null` when it
 * never reported them), received by the agent, and lost = recorded - received - dropped.
 */
export function sampleCounts(
  stats: ChildSnapshot["stats"] | undefined,
  tally: AgentTally,
): Pick<SummaryRow, "recorded" | "received" | "dropped" | "lost"> {
  return {
    recorded: stats?.recorded ?? null,
    received: tally.samples,
    dropped: stats?.dropped ?? null,
    lost: stats ? stats.recorded - tally.samples - stats.dropped : null,
  };
}

/** The load's request shape that creates an item called `name`. */
export function createItemRequest(name: string): LoadRequest {
  return {
    method: "POST",
    path: "/items",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  };
}

/** Creates an item called `name` through the service at `url`; resolves to the response status. */
export async function createItem(url: string, name: string): Promise<number> {
  const { method, path, headers, body } = createItemRequest(name);
  const response = await fetch(`${url}${path}`, { method, headers, body });
  return response.status;
}
