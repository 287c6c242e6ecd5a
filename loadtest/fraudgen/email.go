package fraudgen

import (
	"math/rand/v2"
	"strings"
)

// globalMail is the mix of mail providers the voting public uses, before
// each country's own providers are added.
var globalMail = []weighted{
	{"gmail.com", 52}, {"yahoo.com", 7}, {"hotmail.com", 6}, {"outlook.com", 5}, {"icloud.com", 2.5},
	{"live.com", 1}, {"ymail.com", .4}, {"aol.com", .3}, {"proton.me", .5}, {"protonmail.com", .3},
	{"zoho.com", .2}, {"mail.com", .2}, {"gmx.com", .2},
	// Privacy relays hand every user a random address at one shared
	// domain.
	{"privaterelay.appleid.com", .6}, {"duck.com", .15},
}

// localMail are the providers popular in one country.
var localMail = map[string][]weighted{
	"BR": {{"yahoo.com.br", 3}, {"hotmail.com", 4}, {"uol.com.br", 2}, {"bol.com.br", 1.5}, {"terra.com.br", .5}},
	"FR": {{"orange.fr", 5}, {"free.fr", 4}, {"laposte.net", 3}, {"yahoo.fr", 3}, {"sfr.fr", 2}, {"hotmail.fr", 3}},
	"DE": {{"gmx.de", 8}, {"web.de", 8}, {"t-online.de", 5}, {"gmx.net", 3}},
	"CH": {{"bluewin.ch", 6}, {"gmx.ch", 3}},
	"IT": {{"libero.it", 6}, {"virgilio.it", 2}, {"alice.it", 1}, {"yahoo.it", 2}},
	"ES": {{"hotmail.es", 5}, {"yahoo.es", 3}, {"telefonica.net", 1}},
	"GB": {{"btinternet.com", 3}, {"yahoo.co.uk", 3}, {"hotmail.co.uk", 4}, {"sky.com", 1}},
	"RU": {{"mail.ru", 25}, {"yandex.ru", 20}, {"bk.ru", 3}, {"list.ru", 2}, {"rambler.ru", 2}},
	"CN": {{"qq.com", 30}, {"163.com", 20}, {"126.com", 8}, {"sina.com", 3}},
	"IN": {{"rediffmail.com", 2}, {"yahoo.co.in", 3}},
	"JP": {{"yahoo.co.jp", 15}, {"docomo.ne.jp", 4}, {"ezweb.ne.jp", 2}},
	"MX": {{"hotmail.com", 6}, {"prodigy.net.mx", 1}},
	"AR": {{"hotmail.com", 5}, {"yahoo.com.ar", 3}},
	"ID": {{"yahoo.co.id", 3}},
	"TR": {{"hotmail.com", 6}, {"yandex.com", 2}},
	"VN": {{"yahoo.com.vn", 1}},
	"KE": {{"yahoo.co.ke", .5}},
	"ZA": {{"webmail.co.za", 1}, {"mweb.co.za", 1}},
}

func freeMail(code string) []weighted {
	return append(append([]weighted{}, globalMail...), localMail[code]...)
}

// orgSuffixes are how a country names its government, academic, company
// and non-profit domains.
type orgSuffixes struct{ gov, ac, co, org string }

func orgSuffixOf(code string) orgSuffixes {
	cc := strings.ToLower(code)
	switch code {
	case "KE", "TZ", "UG", "RW", "ZA", "JP":
		return orgSuffixes{"go." + cc, "ac." + cc, "co." + cc, "or." + cc}
	case "GB":
		return orgSuffixes{"gov.uk", "ac.uk", "co.uk", "org.uk"}
	case "US":
		return orgSuffixes{"gov", "edu", "com", "org"}
	case "FR", "DE", "CH", "IT", "ES", "SN", "CI", "CM", "MA", "TN":
		return orgSuffixes{"gouv." + cc, "univ-" + cc, cc, "org"}
	case "IN", "NG", "GH", "PK", "BD", "NP", "LK", "ET", "EG", "PH", "MY", "VN", "CN", "SA", "AE", "TR":
		return orgSuffixes{"gov." + cc, "edu." + cc, "com." + cc, "org." + cc}
	}
	return orgSuffixes{"gob." + cc, "edu." + cc, "com." + cc, "org." + cc}
}

// orgDomains invents a country's organisations: ministries, universities,
// companies and non-profits, as their mail domains.
func orgDomains(r *rand.Rand, c *country, n int) []string {
	out := make([]string, 0, n)
	seen := map[string]bool{}
	for len(out) < n {
		name := inventName(r, 2+r.IntN(2))
		var d string
		switch u := r.Float64(); {
		case u < 0.15:
			d = name + "." + c.orgSfx.gov
		case u < 0.35:
			if strings.HasPrefix(c.orgSfx.ac, "univ-") {
				d = "univ-" + name + "." + c.orgSfx.ac[len("univ-"):]
			} else {
				d = name + "." + c.orgSfx.ac
			}
		case u < 0.75:
			d = name + "." + c.orgSfx.co
		default:
			d = name + "." + c.orgSfx.org
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// honestDomain draws the mail domain of a voter of c: mostly free mail,
// otherwise an organisation, the larger ones more often. A few accounts
// were erased after voting; the export keeps their votes without a domain.
func honestDomain(r *rand.Rand, c *country, orgShare float64) string {
	if chance(r, 0.0015) {
		return ""
	}
	if chance(r, orgShare) && len(c.orgs) > 0 {
		k := int(float64(len(c.orgs)) * r.Float64() * r.Float64())
		return c.orgs[k]
	}
	return pickWeighted(r, c.mail)
}

// listedDisposable are domains on the project's own disposable list
// (identity/disposable_domains.txt): accounts on them were made before the
// list named them.
var listedDisposable = []string{
	"10minutemail.com", "guerrillamail.com", "sharklasers.com", "mailinator.com", "yopmail.com",
	"temp-mail.org", "tempmail.plus", "getnada.com", "dropmail.me", "maildrop.cc", "mail.tm",
	"1secmail.com", "emailondeck.com", "mohmal.com", "trashmail.com", "burnermail.io",
}

// freshTLDs are where throwaway domains are registered cheaply.
var freshTLDs = []string{"xyz", "top", "online", "site", "click", "shop", "store", "icu", "fun", "live", "pro", "com"}

// freshDomains invents n domains no list knows yet: new names of
// disposable mail services, or an attacker's own catch-all domains that
// accept mail to any address.
func freshDomains(r *rand.Rand, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = inventName(r, 2+r.IntN(2)) + "." + freshTLDs[r.IntN(len(freshTLDs))]
	}
	return out
}

// bulkMail are the free-mail providers accounts are bought or registered in
// bulk on.
var bulkMail = []weighted{{"gmail.com", 55}, {"outlook.com", 15}, {"hotmail.com", 12}, {"yahoo.com", 8}, {"mail.ru", 4}, {"yandex.ru", 3}, {"gmx.com", 3}}
