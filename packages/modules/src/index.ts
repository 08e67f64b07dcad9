/** Mirage's OSINT modules: the SDK they are written against, the registry, and the modules. */
export * as Module from "./Module.js"
export * as Crtsh from "./modules/crtsh.js"
export * as DnsResolve from "./modules/dns_resolve.js"
export * as Registry from "./Registry.js"
