/**
 * The deterministic simulation: several nodes in one process on the in-memory twins of every store, under
 * a test clock, with seeded faults (kills, partitions, freezes, store failures), checked against invariants after
 * every run. `npm run simulate` is its command line (cli.ts); Options says what a run is asked and reports.
 */
export * as Invariants from "./Invariants.js"
export * as Options from "./Options.js"
export * as Prng from "./Prng.js"
export * as SimClock from "./SimClock.js"
export * as Simulation from "./Simulation.js"
export * as World from "./World.js"
