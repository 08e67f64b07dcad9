/** Modules that ask third-party intelligence APIs (passive DNS, CT logs, scanners, breach data, code search). */
import type { Module } from "../Module.js"
import { anubisdb } from "../modules/anubisdb.js"
import { asnLookup } from "../modules/asn_lookup.js"
import { bevigil } from "../modules/bevigil.js"
import { binaryedge } from "../modules/binaryedge.js"
import { bufferover } from "../modules/bufferover.js"
import { builtwith } from "../modules/builtwith.js"
import { c99 } from "../modules/c99.js"
import { censys } from "../modules/censys.js"
import { certificatedetails } from "../modules/certificatedetails.js"
import { certspotter } from "../modules/certspotter.js"
import { chaos } from "../modules/chaos.js"
import { columbus } from "../modules/columbus.js"
import { commoncrawl } from "../modules/commoncrawl.js"
import { crtshDb } from "../modules/crtsh_db.js"
import { dnsbl } from "../modules/dnsbl.js"
import { dockerhub } from "../modules/dockerhub.js"
import { emailrep } from "../modules/emailrep.js"
import { fullhunt } from "../modules/fullhunt.js"
import { githubCodeSearch } from "../modules/github_code_search.js"
import { githubOrg } from "../modules/github_org.js"
import { gitlabProjects } from "../modules/gitlab_projects.js"
import { gravatar } from "../modules/gravatar.js"
import { hackertargetDnslookup } from "../modules/hackertarget_dnslookup.js"
import { hackertargetHostsearch } from "../modules/hackertarget_hostsearch.js"
import { hackertargetReverseip } from "../modules/hackertarget_reverseip.js"
import { hibpBreachedAccount } from "../modules/hibp_breached_account.js"
import { hunterIo } from "../modules/hunter_io.js"
import { ipApi } from "../modules/ip_api.js"
import { ipinfo } from "../modules/ipinfo.js"
import { leakix } from "../modules/leakix.js"
import { microsoftTenant } from "../modules/microsoft_tenant.js"
import { myssl } from "../modules/myssl.js"
import { netlas } from "../modules/netlas.js"
import { numverify } from "../modules/numverify.js"
import { otxPassiveDns } from "../modules/otx_passive_dns.js"
import { otxReputation } from "../modules/otx_reputation.js"
import { otxUrlList } from "../modules/otx_url_list.js"
import { passivetotal } from "../modules/passivetotal.js"
import { peeringdb } from "../modules/peeringdb.js"
import { pgpKeyserver } from "../modules/pgp_keyserver.js"
import { phone } from "../modules/phone.js"
import { rapiddns } from "../modules/rapiddns.js"
import { rdapDomain } from "../modules/rdap_domain.js"
import { rdapIp } from "../modules/rdap_ip.js"
import { ripestatPrefixes } from "../modules/ripestat_prefixes.js"
import { robtex } from "../modules/robtex.js"
import { securitytrails } from "../modules/securitytrails.js"
import { shodanDns } from "../modules/shodan_dns.js"
import { shodanHost } from "../modules/shodan_host.js"
import { shodanInternetdb } from "../modules/shodan_internetdb.js"
import { sitedossier } from "../modules/sitedossier.js"
import { skymem } from "../modules/skymem.js"
import { subdomainCenter } from "../modules/subdomain_center.js"
import { teamCymruAsn } from "../modules/team_cymru_asn.js"
import { threatminer } from "../modules/threatminer.js"
import { urlhausHost } from "../modules/urlhaus_host.js"
import { urlscanSearch } from "../modules/urlscan_search.js"
import { virustotalDomain } from "../modules/virustotal_domain.js"
import { virustotalSubdomains } from "../modules/virustotal_subdomains.js"
import { wayback } from "../modules/wayback.js"
import { whatsmyname } from "../modules/whatsmyname.js"
import { whoisxmlReversePhone } from "../modules/whoisxml_reverse_phone.js"
import { whoisxmlSubdomains } from "../modules/whoisxml_subdomains.js"
import { zoomeye } from "../modules/zoomeye.js"

export const intelligenceModules: ReadonlyArray<Module> = [
  certspotter,
  wayback,
  hackertargetHostsearch,
  rdapDomain,
  rdapIp,
  asnLookup,
  shodanHost,
  shodanInternetdb,
  virustotalDomain,
  urlscanSearch,
  hibpBreachedAccount,
  otxPassiveDns,
  githubCodeSearch,
  securitytrails,
  shodanDns,
  chaos,
  c99,
  fullhunt,
  zoomeye,
  netlas,
  bevigil,
  censys,
  virustotalSubdomains,
  builtwith,
  whoisxmlSubdomains,
  leakix,
  anubisdb,
  subdomainCenter,
  myssl,
  columbus,
  rapiddns,
  robtex,
  hackertargetDnslookup,
  hackertargetReverseip,
  commoncrawl,
  otxUrlList,
  crtshDb,
  bufferover,
  ipApi,
  ipinfo,
  teamCymruAsn,
  ripestatPrefixes,
  peeringdb,
  pgpKeyserver,
  skymem,
  gravatar,
  sitedossier,
  certificatedetails,
  threatminer,
  binaryedge,
  passivetotal,
  microsoftTenant,
  githubOrg,
  gitlabProjects,
  dockerhub,
  hunterIo,
  urlhausHost,
  emailrep,
  otxReputation,
  dnsbl,
  phone,
  numverify,
  whoisxmlReversePhone,
  whatsmyname
]
