/**
 * Sandbox mode: the fixture world runs in this process and the node processes' modules are
 * pointed at it, with per-module sandbox settings and limits fit for local emulations
 * (the real sources' rate limits would only slow a demo down).
 */
import { modules } from "@mirage/modules/Registry"
import { FixtureWorld } from "@mirage/testkit"
import { Effect } from "effect"

/** Every source the modules use, at a rate no local fixture minds. */
const sandboxSources = () =>
  Object.fromEntries(
    Array.from(new Set(modules.map((m) => m.source.id)), (source) => [
      source,
      { rate_limit: { requests: 1000, perSeconds: 1, burst: 1000 } }
    ])
  )

/**
 * Environment for gateway and node processes whose modules talk to the fixture world only: its
 * sources' URLs, its DNS server, and its per-module loopback maps forced over every scan's module
 * configuration (the TLS and port scans reach its documentation-range hosts through their loopback
 * stand-ins, the web modules its website, the zone transfer its DNS server). The guard then lets
 * modules reach loopback and nothing else.
 */
export const envFor = (world: FixtureWorld.FixtureWorld): Record<string, string> => {
  const { dnsServers, ...urls } = world.moduleEndpoints
  return {
    MIRAGE_MODULE_ENDPOINTS: JSON.stringify(urls),
    MIRAGE_DNS_SERVERS: dnsServers.join(","),
    MIRAGE_MODULE_OVERRIDES: JSON.stringify(world.moduleConfig),
    MIRAGE_SANDBOX: "1",
    // A forward proxy would make the connections the guard sees its own: none in the sandbox.
    MIRAGE_PROXIES: "",
    // Demos and tests poll the gateway hard with one key: a per-key rate fit for a local run.
    MIRAGE_API_RATE: "1000",
    MIRAGE_API_BURST: "2000",
    MIRAGE_SOURCE_SETTINGS: JSON.stringify(sandboxSources())
  }
}

/** Starts the fixture world for the enclosing scope. */
export const sandboxEnv = Effect.map(FixtureWorld.make, envFor)

export const sandboxTarget = Effect.succeed(FixtureWorld.domain)
