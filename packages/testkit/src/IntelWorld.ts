/**
 * The sandbox's third-party intelligence sources (passive DNS, CT search, scanners, registries,
 * breach data, code search, organizations and people), each an emulation of the real API, started over what they
 * know (IntelData: the sandbox domain's data, the keys they accept, what a scan finds), re-exported here.
 */
import { Effect, Record as Rec } from "effect"
import type { Scope } from "effect"
import * as AddressSources from "./AddressSources.js"
import * as CertspotterServer from "./CertspotterServer.js"
import * as ContactSources from "./ContactSources.js"
import * as GithubServer from "./GithubServer.js"
import * as HackertargetServer from "./HackertargetServer.js"
import * as HibpServer from "./HibpServer.js"
import type { HttpFixture } from "./HttpFixture.js"
import * as InternetdbServer from "./InternetdbServer.js"
import * as KeyedSources from "./KeyedSources.js"
import * as OrganizationSources from "./OrganizationSources.js"
import * as OtxServer from "./OtxServer.js"
import * as PassiveSources from "./PassiveSources.js"
import * as PhoneSources from "./PhoneSources.js"
import * as RdapServer from "./RdapServer.js"
import * as RipestatServer from "./RipestatServer.js"
import * as ShodanServer from "./ShodanServer.js"
import * as ThreatSources from "./ThreatSources.js"
import * as UrlscanServer from "./UrlscanServer.js"
import * as VirustotalServer from "./VirustotalServer.js"
import * as WaybackServer from "./WaybackServer.js"

import {
  announcements,
  autonomousSystems,
  breachedAccounts,
  breaches,
  captures,
  codeAccounts,
  codeFiles,
  crawledUrls,
  domain,
  hostRecords,
  hunterEmails,
  internetdbRecords,
  issuances,
  keybaseUsers,
  keys,
  malwareUrls,
  networks,
  org,
  peeringRecords,
  profiles,
  publicKeys,
  pulses,
  rdapDomains,
  registries,
  reputations,
  resolutions,
  scans,
  shodanHosts,
  sightings,
  tenants,
  virustotalDomains,
  webEmails
} from "./IntelData.js"
import { virustotalAddresses } from "./ThreatData.js"

export * from "./IntelData.js"
export { phoneNumbers, sandboxPhone } from "./PhoneSources.js"
export * from "./ThreatData.js"

export interface IntelServers extends ThreatSources.ThreatServers {
  readonly certspotter: HttpFixture
  readonly wayback: HttpFixture
  readonly hackertarget: HttpFixture
  readonly rdap: HttpFixture
  readonly ripestat: HttpFixture
  readonly shodan: HttpFixture
  readonly internetdb: HttpFixture
  readonly virustotal: HttpFixture
  readonly urlscan: HttpFixture
  readonly hibp: HttpFixture
  readonly otx: HttpFixture
  readonly github: HttpFixture
  readonly anubisdb: HttpFixture
  readonly subdomain_center: HttpFixture
  readonly myssl: HttpFixture
  readonly columbus: HttpFixture
  readonly rapiddns: HttpFixture
  readonly robtex: HttpFixture
  readonly bufferover: HttpFixture
  readonly commoncrawl: HttpFixture
  readonly sitedossier: HttpFixture
  readonly threatminer: HttpFixture
  readonly certificatedetails: HttpFixture
  readonly binaryedge: HttpFixture
  readonly passivetotal: HttpFixture
  readonly securitytrails: HttpFixture
  readonly chaos: HttpFixture
  readonly c99: HttpFixture
  readonly fullhunt: HttpFixture
  readonly zoomeye: HttpFixture
  readonly netlas: HttpFixture
  readonly bevigil: HttpFixture
  readonly censys: HttpFixture
  readonly builtwith: HttpFixture
  readonly whoisxml: HttpFixture
  readonly leakix: HttpFixture
  readonly ip_api: HttpFixture
  readonly ipinfo: HttpFixture
  readonly peeringdb: HttpFixture
  readonly pgp_keyserver: HttpFixture
  readonly skymem: HttpFixture
  readonly gravatar: HttpFixture
  readonly microsoft_login: HttpFixture
  readonly github_api: HttpFixture
  readonly gitlab: HttpFixture
  readonly dockerhub: HttpFixture
  readonly hunter_io: HttpFixture
  readonly urlhaus: HttpFixture
  readonly emailrep: HttpFixture
  readonly keybase: HttpFixture
  readonly numverify: HttpFixture
  readonly whoisxml_reverse: HttpFixture
}

export interface IntelWorld extends IntelServers {
  /** Base URLs by source id, in the shape modules take as endpoints. */
  readonly endpoints: Readonly<Record<keyof IntelServers, string>>
}

export interface IntelWorldOptions {
  /** Keyless HackerTarget queries answered a day: the real 50 unless said otherwise. */
  readonly hackertargetQuota?: number
}

/** Starts every emulated intelligence source; closing the Scope stops them. */
export const makeWith = (options: IntelWorldOptions = {}): Effect.Effect<IntelWorld, never, Scope.Scope> =>
  Effect.gen(function*() {
    const threats = yield* ThreatSources.makeAll
    const known: Omit<IntelServers, keyof ThreatSources.ThreatServers> = yield* Effect.all({
      certspotter: CertspotterServer.make(issuances, { key: keys.certspotter, pageSize: 2 }),
      wayback: WaybackServer.make(captures),
      hackertarget: HackertargetServer.make(hostRecords, {
        key: keys.hackertarget,
        ...(options.hackertargetQuota === undefined ? {} : { dailyQuota: options.hackertargetQuota })
      }),
      rdap: RdapServer.make(rdapDomains, networks),
      ripestat: RipestatServer.make(announcements, autonomousSystems),
      shodan: ShodanServer.make(shodanHosts, { key: keys.shodan }),
      internetdb: InternetdbServer.make(internetdbRecords),
      virustotal: VirustotalServer.make(virustotalDomains, {
        key: keys.virustotal,
        pageSize: 2,
        addresses: virustotalAddresses
      }),
      urlscan: UrlscanServer.make(scans, { key: keys.urlscan }),
      hibp: HibpServer.make(breaches, { key: keys.hibp, accounts: breachedAccounts }),
      otx: OtxServer.make(resolutions, {
        key: keys.otx,
        urls: crawledUrls,
        pulses,
        asns: { "192.0.2.10": "AS64500 Mirage Sandbox Ltd" }
      }),
      github: GithubServer.make(codeFiles, { token: keys.github }),
      anubisdb: PassiveSources.anubisdb(sightings),
      subdomain_center: PassiveSources.subdomainCenter(sightings),
      myssl: PassiveSources.myssl(sightings),
      columbus: PassiveSources.columbus(sightings),
      rapiddns: PassiveSources.rapiddns(sightings),
      robtex: PassiveSources.robtex(sightings),
      bufferover: PassiveSources.bufferover(sightings, { key: keys.bufferover }),
      commoncrawl: PassiveSources.commoncrawl(crawledUrls),
      sitedossier: PassiveSources.sitedossier(sightings, { pageSize: 4 }),
      threatminer: PassiveSources.threatminer(sightings),
      certificatedetails: PassiveSources.certificatedetails(
        issuances.map((issuance) => ({ id: issuance.id, names: issuance.dns_names }))
      ),
      binaryedge: KeyedSources.binaryedge(sightings, { key: keys.binaryedge, pageSize: 4 }),
      passivetotal: KeyedSources.passivetotal(sightings, { key: keys.passivetotal }),
      securitytrails: KeyedSources.securitytrails(sightings, { key: keys.securitytrails }),
      chaos: KeyedSources.chaos(sightings, { key: keys.chaos }),
      c99: KeyedSources.c99(sightings, { key: keys.c99 }),
      fullhunt: KeyedSources.fullhunt(sightings, { key: keys.fullhunt }),
      zoomeye: KeyedSources.zoomeye(sightings, { key: keys.zoomeye, hosts: shodanHosts }),
      netlas: KeyedSources.netlas(sightings, { key: keys.netlas }),
      bevigil: KeyedSources.bevigil(sightings, { key: keys.bevigil }),
      censys: KeyedSources.censys(
        issuances.map((issuance) => ({ fingerprint: issuance.cert_sha256, names: issuance.dns_names })),
        { key: keys.censys, hosts: shodanHosts }
      ),
      builtwith: KeyedSources.builtwith(sightings, { key: keys.builtwith }),
      whoisxml: KeyedSources.whoisxml(sightings, { key: keys.whoisxml }),
      leakix: KeyedSources.leakix(sightings, { key: keys.leakix }),
      ip_api: AddressSources.ipApi(registries),
      ipinfo: AddressSources.ipinfo(registries, { token: keys.ipinfo }),
      peeringdb: AddressSources.peeringdb(autonomousSystems, peeringRecords, { key: keys.peeringdb }),
      pgp_keyserver: ContactSources.keyserver(publicKeys),
      skymem: ContactSources.skymem(webEmails, { perPage: 1 }),
      gravatar: ContactSources.gravatar(profiles),
      microsoft_login: OrganizationSources.microsoftLogin(tenants),
      github_api: OrganizationSources.githubApi(codeAccounts, { perPage: 2 }),
      gitlab: OrganizationSources.gitlab(codeAccounts, { perPage: 2 }),
      dockerhub: OrganizationSources.dockerhub(codeAccounts, { perPage: 2 }),
      hunter_io: OrganizationSources.hunter([{ domain, name: org, emails: hunterEmails }], { key: keys.hunter_io }),
      urlhaus: KeyedSources.urlhaus(malwareUrls, { key: keys.urlhaus }),
      emailrep: ContactSources.emailrep(reputations),
      keybase: ContactSources.keybase(keybaseUsers),
      numverify: PhoneSources.numverify(PhoneSources.phoneNumbers, { key: keys.numverify }),
      whoisxml_reverse: PhoneSources.reverseWhois(PhoneSources.phoneNumbers, {
        key: keys.whoisxml_reverse,
        pageSize: 1
      })
    }, { concurrency: "unbounded" })
    const servers: IntelServers = { ...known, ...threats }
    const endpoints = Rec.map(servers, (server) => server.url)
    return { ...servers, endpoints }
  })

/** Every emulated intelligence source, HackerTarget with its real quota. */
export const make: Effect.Effect<IntelWorld, never, Scope.Scope> = makeWith()
