/** Test infrastructure: the fixture world of emulated sources, and test stores. */
export * as CrtshServer from "./CrtshServer.js"
export * as DnsServer from "./DnsServer.js"
export * as FixtureServer from "./FixtureServer.js"
export * as FixtureWorld from "./FixtureWorld.js"
export * as HttpFixture from "./HttpFixture.js"
export * as IntelWorld from "./IntelWorld.js"
export * as TestStores from "./TestStores.js"
