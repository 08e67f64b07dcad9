/**
 * Mirage's OSINT modules: the SDK they are written against, the registry, and the modules. What the
 * runtime uses of this package it takes from here.
 */
export * as CollectionNotes from "./CollectionNotes.js"
export * as DnsClient from "./DnsClient.js"
export * as HttpClient from "./HttpClient.js"
export * as Module from "./Module.js"
export * as ModuleContext from "./ModuleContext.js"
export * as ModuleError from "./ModuleError.js"
export * as Crtsh from "./modules/crtsh.js"
export * as DnsResolve from "./modules/dns_resolve.js"
export * as Registry from "./Registry.js"
export * as SharedLists from "./SharedLists.js"
/** The resolvers' data source: one rate limit over every module's DNS lookups. */
export { dnsSource } from "./internal/Dns.js"
