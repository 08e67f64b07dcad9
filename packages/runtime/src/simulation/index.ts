/**
 * The deterministic simulation: several nodes in one process on the in-memory twins of every store, under
 * a test clock, with seeded faults (kills, partitions, freezes, store failures), checked against invariants after
 * every run. `npm run simulate` is its command line (cli.ts); Options says what a run is asked and reports.
 * Simulation runs the course; SimCluster is the cluster it runs, Faults what strikes it, Users what the users do
 * through the gateway, and Verdict the checks once it has settled.
 */
export * as Faults from "./Faults.js"
export * as Invariants from "./Invariants.js"
export * as Options from "./Options.js"
export * as Prng from "./Prng.js"
export * as SimClock from "./SimClock.js"
export * as SimCluster from "./SimCluster.js"
export * as Simulation from "./Simulation.js"
export * as Users from "./Users.js"
export * as Verdict from "./Verdict.js"
export * as World from "./World.js"
