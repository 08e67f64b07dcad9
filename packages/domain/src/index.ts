/** Mirage's domain: schemas of the wire contract, the pure scan state machine and the planner. */
export * as CollectionTask from "./CollectionTask.js"
export * as Entity from "./Entity.js"
export * as Ids from "./Ids.js"
export * as Planner from "./Planner.js"
export * as Scan from "./Scan.js"
export * as ScanEvent from "./ScanEvent.js"
export * as ScanMachine from "./ScanMachine.js"
export * as Template from "./Template.js"
