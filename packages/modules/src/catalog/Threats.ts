/** Modules that ask reputation, threat and vulnerability sources, and scanners about an address. */
import type { Module } from "../Module.js"
import { abuseipdb } from "../modules/abuseipdb.js"
import { censysHosts } from "../modules/censys_hosts.js"
import { cisaKev } from "../modules/cisa_kev.js"
import { crowdsecCti } from "../modules/crowdsec_cti.js"
import { googleSafebrowsing } from "../modules/google_safebrowsing.js"
import { greynoiseCommunity } from "../modules/greynoise_community.js"
import { ipapiIs } from "../modules/ipapi_is.js"
import { nvdCve } from "../modules/nvd_cve.js"
import { onyphe } from "../modules/onyphe.js"
import { openphish } from "../modules/openphish.js"
import { shodanFavicon } from "../modules/shodan_favicon.js"
import { spamhausDrop } from "../modules/spamhaus_drop.js"
import { threatfox } from "../modules/threatfox.js"
import { virustotalIp } from "../modules/virustotal_ip.js"
import { zoomeyeHosts } from "../modules/zoomeye_hosts.js"

export const threatModules: ReadonlyArray<Module> = [
  greynoiseCommunity,
  abuseipdb,
  censysHosts,
  zoomeyeHosts,
  onyphe,
  shodanFavicon,
  threatfox,
  googleSafebrowsing,
  openphish,
  cisaKev,
  nvdCve,
  ipapiIs,
  spamhausDrop,
  crowdsecCti,
  virustotalIp
]
