/** What the registries know: the domain's RDAP record, the networks and their announcements, the ASes. */
import type * as AddressSources from "../AddressSources.js"
import type * as RdapServer from "../RdapServer.js"
import type * as RipestatServer from "../RipestatServer.js"
import { hostRecords } from "./Names.js"
import { domain, hosting, org, transit } from "./Sandbox.js"

const registrant: RdapServer.Contact = {
  handle: "MSL-001",
  roles: ["registrant"],
  kind: "org",
  fn: org,
  org,
  email: "hostmaster@mirage-sandbox.test"
}

export const rdapDomains: ReadonlyArray<RdapServer.Domain> = [{
  handle: "D1234567-SANDBOX",
  ldhName: domain,
  registered: "2019-04-12T08:00:00Z",
  nameservers: ["ns1.sandbox-dns.test", "ns2.sandbox-dns.test"],
  entities: [
    {
      handle: "9999",
      roles: ["registrar"],
      kind: "org",
      fn: "Sandbox Registrar Inc",
      entities: [{
        handle: "9999-ABUSE",
        roles: ["abuse"],
        kind: "org",
        fn: "Abuse desk",
        email: "abuse@sandbox-registrar.test"
      }]
    },
    registrant,
    {
      handle: "MSL-TECH",
      roles: ["technical", "administrative"],
      kind: "individual",
      fn: "Sandbox Hostmaster",
      email: "hostmaster@mirage-sandbox.test"
    }
  ]
}]

export const networks: ReadonlyArray<RdapServer.Network> = [
  {
    handle: "NET-192-0-2-0-1",
    name: "MIRAGE-SANDBOX-NET",
    startAddress: "192.0.2.0",
    endAddress: "192.0.2.255",
    cidrs: [{ prefix: "192.0.2.0", length: 24 }],
    country: "GB",
    entities: [registrant]
  },
  {
    // No cidr0 extension: the block comes from the start and end addresses.
    handle: "NET-198-51-100-0-1",
    name: "EXAMPLE-HOSTING-1",
    startAddress: "198.51.100.0",
    endAddress: "198.51.100.255",
    country: "DE",
    entities: [{ handle: "EHG-1", roles: ["registrant"], kind: "org", fn: hosting, org: hosting }]
  },
  {
    // A range that is not one CIDR block: 203.0.113.0/26 and 203.0.113.64/27.
    handle: "NET-203-0-113-0-1",
    name: "EDGE-TRANSIT-POP1",
    startAddress: "203.0.113.0",
    endAddress: "203.0.113.95",
    country: "NL",
    entities: [{ handle: "ETN-1", roles: ["registrant"], kind: "org", fn: transit }]
  },
  {
    handle: "NET6-2001-DB8-1",
    name: "MIRAGE-SANDBOX-V6",
    startAddress: "2001:db8::",
    endAddress: "2001:db8:0:ffff:ffff:ffff:ffff:ffff",
    cidrs: [{ prefix: "2001:db8::", length: 48 }],
    country: "GB",
    entities: [registrant]
  }
]

export const announcements: ReadonlyArray<RipestatServer.Announcement> = [
  { prefix: "192.0.2.0/24", asn: 64500 },
  { prefix: "198.51.100.0/24", asn: 64501 },
  { prefix: "203.0.113.0/24", asn: 64502 },
  { prefix: "2001:db8::/32", asn: 64500 }
]

export const autonomousSystems: ReadonlyArray<RipestatServer.AutonomousSystem> = [
  { asn: 64500, holder: `MIRAGE-SANDBOX-AS - ${org}` },
  { asn: 64501, holder: `EXAMPLE-HOSTING - ${hosting}` },
  { asn: 64502, holder: `EDGE-TRANSIT - ${transit}` }
]

/** PeeringDB's records of the sandbox's ASes (the hosting one without a website, the transit one not there). */
export const peeringRecords: ReadonlyArray<AddressSources.PeeringRecord> = [
  { asn: 64500, website: "https://mirage-sandbox.test/", type: "Content" },
  { asn: 64501, website: "", type: "Cable/DSL/ISP" }
]

/** What the address registries (ip-api, IPinfo, Team Cymru) know: the RDAP networks, announcements, reverse names. */
export const registries: AddressSources.Registries = {
  networks,
  announcements,
  systems: autonomousSystems,
  hostnames: Object.fromEntries(hostRecords.map((record) => [record.ip, record.host]))
}
