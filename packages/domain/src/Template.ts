/**
 * Scan templates: named presets (modules and configuration) that a scan is created from. The
 * built-in ones are listed here by module id; the gateway resolves them against the module
 * registry when they are used, so a module not (or no longer) installed is skipped with a warning.
 */
import { Schema } from "effect"
import { EntityType } from "./Entity.js"
import { ModuleId, OrganizationId, TemplateId } from "./Ids.js"
import { type FlagSelector, ModuleSelection } from "./ModuleFlag.js"
import { limits, ScanConfiguration, ScanConfigurationInput, ScanModule } from "./Scan.js"
import { ApiText } from "./Text.js"

const Name = ApiText({ min: 1, max: limits.nameLength })
const Description = ApiText({ max: limits.descriptionLength })

export class Template extends Schema.Class<Template>("Template")({
  id: TemplateId,
  name: Name,
  description: Description,
  organization_id: Schema.NullOr(OrganizationId),
  builtin: Schema.Boolean,
  target_types: Schema.Array(EntityType),
  modules: Schema.Array(ScanModule).pipe(Schema.maxItems(limits.maxModules)),
  configuration: ScanConfiguration,
  created_at: Schema.DateTimeUtc,
  updated_at: Schema.DateTimeUtc
}) {}

/** POST /templates: `modules` named and/or chosen by flag with `select` (at least one module either way). */
export class CreateTemplateRequest extends Schema.Class<CreateTemplateRequest>("CreateTemplateRequest")({
  name: Name,
  description: Schema.optionalWith(Description, { default: () => "" }),
  target_types: Schema.Array(EntityType).pipe(Schema.minItems(1)),
  modules: Schema.optionalWith(Schema.Array(ScanModule).pipe(Schema.maxItems(limits.maxModules)), {
    default: () => []
  }),
  select: Schema.optional(ModuleSelection),
  configuration: Schema.optionalWith(ScanConfiguration, { default: () => ScanConfiguration.make({}) })
}) {}

/**
 * PUT /templates/{id}: the fields given replace the template's; the others stay. `select` (with `modules`, if given)
 * replaces the template's modules.
 */
export class UpdateTemplateRequest extends Schema.Class<UpdateTemplateRequest>("UpdateTemplateRequest")({
  name: Schema.optional(Name),
  description: Schema.optional(Description),
  target_types: Schema.optional(Schema.Array(EntityType).pipe(Schema.minItems(1))),
  modules: Schema.optional(Schema.Array(ScanModule).pipe(Schema.minItems(1), Schema.maxItems(limits.maxModules))),
  select: Schema.optional(ModuleSelection),
  configuration: Schema.optional(ScanConfigurationInput)
}) {}

/** A built-in template as declared: module ids only, resolved against the registry at use time. */
export interface BuiltinTemplate {
  readonly id: TemplateId
  readonly name: string
  readonly description: string
  readonly target_types: ReadonlyArray<EntityType>
  readonly modules: ReadonlyArray<ModuleId>
  /** Modules chosen by flag besides those named (e.g. every passive one), resolved against the registry. */
  readonly select?: FlagSelector
  readonly configuration: ScanConfiguration
}

const builtin = (
  id: string,
  name: string,
  description: string,
  target_types: ReadonlyArray<EntityType>,
  modules: ReadonlyArray<string>,
  configuration: Pick<ScanConfiguration, "recursion_depth" | "priority">,
  select?: FlagSelector
): BuiltinTemplate => ({
  id: TemplateId.make(id),
  name,
  description,
  target_types,
  // Once each, in the order first named: a shared list (the threat modules) may repeat one a template names itself.
  modules: Array.from(new Set(modules), (m) => ModuleId.make(m)),
  ...(select === undefined ? {} : { select }),
  configuration: ScanConfiguration.make(configuration)
})

const passiveDomain = [
  "crtsh",
  "certspotter",
  "hackertarget_hostsearch",
  "otx_passive_dns",
  "urlscan_search",
  "wayback",
  "virustotal_domain",
  "rdap_domain",
  "github_code_search"
]

/**
 * Reputation and threat sources: blocklists over DNS and lists, threat feeds, and CVE enrichment (severity, known
 * exploited, exploit likelihood). The keyed ones (URLhaus, ThreatFox, Safe Browsing, AbuseIPDB, CrowdSec) are left
 * out of a scan when no key is configured for them.
 */
const threatModules = [
  "dnsbl",
  "spamhaus_drop",
  "greynoise_community",
  "otx_reputation",
  "openphish",
  "urlhaus_host",
  "threatfox",
  "google_safebrowsing",
  "abuseipdb",
  "crowdsec_cti",
  "nvd_cve",
  "cisa_kev",
  "epss"
]

export const builtinTemplates: ReadonlyArray<BuiltinTemplate> = [
  builtin(
    "passive-domain-footprint",
    "Passive domain footprint",
    "Subdomains, names and contacts of a domain from third-party sources only: nothing touches the target.",
    ["DOMAIN"],
    passiveDomain,
    { recursion_depth: 1, priority: "MEDIUM" }
  ),
  builtin(
    "full-domain-footprint",
    "Full domain footprint",
    "Passive sources plus active DNS, the hosts' addresses, networks, open ports, TLS and web servers.",
    ["DOMAIN"],
    [
      ...passiveDomain,
      "dns_resolve",
      "dns_records",
      "dns_brute",
      "dns_zone_transfer",
      "reverse_dns",
      "asn_lookup",
      "rdap_ip",
      "shodan_internetdb",
      "port_scan_tcp",
      "tls_certificate",
      "http_probe",
      "robots_sitemap",
      "web_spider",
      // Keyless passive sources, then what the domain's own DNS and site say about it.
      "crtsh_db",
      "anubisdb",
      "subdomain_center",
      "myssl",
      "columbus",
      "rapiddns",
      "robtex",
      "commoncrawl",
      "otx_url_list",
      "leakix",
      "hackertarget_dnslookup",
      "hackertarget_reverseip",
      "dnscaa",
      "email_security",
      "dns_providers",
      "subdomain_takeover",
      "securitytxt",
      // What the blocklists and threat feeds say of its names, addresses and URLs, and its CVEs' severity.
      ...threatModules
    ],
    { recursion_depth: 2, priority: "MEDIUM" }
  ),
  builtin(
    "email-investigation",
    "Email investigation",
    "Breaches an address appears in, its domain's mail setup and address format, and where it is published.",
    ["EMAIL", "DOMAIN"],
    ["hibp_breached_account", "email_format", "dns_records", "rdap_domain", "github_code_search"],
    { recursion_depth: 1, priority: "MEDIUM" }
  ),
  builtin(
    "ip-infrastructure-mapping",
    "IP / infrastructure mapping",
    "Who runs an address or network: reverse DNS (a small netblock swept), ASN, prefixes and operator, registry " +
      "data, blocklist and threat-feed listings, exposed services with their TLS versions and certificates, and " +
      "their CVEs' severity.",
    ["IP", "NETBLOCK", "ASN"],
    [
      "reverse_dns",
      "netblock_ptr_sweep",
      "asn_lookup",
      "team_cymru_asn",
      "ripestat_prefixes",
      "ip_api",
      "rdap_ip",
      "dnsbl",
      "hackertarget_reverseip",
      "shodan_internetdb",
      "shodan_host",
      "port_scan_tcp",
      "tls_certificate",
      "tls_summary",
      "certificate_analysis",
      "http_probe",
      ...threatModules.filter((id) => id !== "openphish" && id !== "google_safebrowsing")
    ],
    { recursion_depth: 1, priority: "MEDIUM" }
  ),
  builtin(
    "organization-footprint",
    "Organization footprint",
    "From a company or its AS: its networks and peering records, its code and image accounts, their members and " +
      "projects, and the accounts and domains those members prove on Keybase.",
    ["ORGANIZATION", "ASN"],
    ["ripestat_prefixes", "peeringdb", "team_cymru_asn", "github_org", "gitlab_projects", "dockerhub", "keybase"],
    { recursion_depth: 2, priority: "MEDIUM" }
  ),
  builtin(
    "person-investigation",
    "Person investigation",
    "From an address, a user name or a phone number: public profiles, the accounts and sites they lead to, the number's kind.",
    ["EMAIL", "USERNAME", "PHONE"],
    [
      "gravatar",
      "emailrep",
      "hibp_breached_account",
      "github_org",
      "gitlab_projects",
      "dockerhub",
      "whatsmyname",
      "keybase",
      "phone",
      "numverify",
      "whoisxml_reverse_phone"
    ],
    { recursion_depth: 1, priority: "MEDIUM" }
  ),
  builtin(
    "cloud-exposure",
    "Cloud exposure (aggressive)",
    "Opt-in and aggressive: storage buckets (S3, GCS, Azure Blob, Firebase, Spaces) guessed from a domain or " +
      "company name and asked of the providers, its Microsoft tenant, public Postman workspaces, code and image accounts, TLS of its hosts.",
    ["DOMAIN", "ORGANIZATION"],
    [
      "storage_buckets",
      "postman",
      "microsoft_tenant",
      "github_org",
      "gitlab_projects",
      "dockerhub",
      "dns_resolve",
      "tls_summary"
    ],
    { recursion_depth: 1, priority: "LOW" }
  ),
  builtin(
    "threat-reputation",
    "Threat reputation",
    "What blocklists and threat feeds say of a domain, address, network or URL (DNSBLs, Spamhaus DROP, GreyNoise, " +
      "OTX, OpenPhish, URLhaus, ThreatFox, Safe Browsing, AbuseIPDB, CrowdSec), the addresses a domain resolves " +
      "to, and the known CVEs of those addresses with their severity and known exploitation. Keyed sources run only " +
      "when their key is configured.",
    ["DOMAIN", "IP", "NETBLOCK", "URL"],
    ["dns_resolve", "shodan_internetdb", ...threatModules],
    { recursion_depth: 2, priority: "MEDIUM" }
  ),
  builtin(
    "all-passive-sources",
    "Every passive source",
    "Every module flagged passive and safe (third-party sources only, nothing touches the target), as installed.",
    ["DOMAIN", "IP", "EMAIL"],
    [],
    { recursion_depth: 1, priority: "MEDIUM" },
    { include: ["passive", "safe"], exclude: [] }
  )
]
