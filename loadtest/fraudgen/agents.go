package fraudgen

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// The user agents here are those browsers sent in the first half of 2025:
// Chrome's reduced strings (Android 10; K, a major version with zeros), the
// full build in Android web views and Chrome on iOS, Safari's version from
// iOS, Samsung Internet with its own older Chromium, and in-app browsers.
// Versions follow the clock: a new Chrome and Firefox every four weeks,
// with most people a version or two behind.

var (
	chrome133  = time.Date(2025, 2, 4, 0, 0, 0, 0, time.UTC)
	firefox135 = chrome133
	ios18      = time.Date(2024, 9, 16, 0, 0, 0, 0, time.UTC)
)

// chromeBuilds are the build numbers of Chrome's major versions.
var chromeBuilds = map[int]int{
	109: 5414, 110: 5481, 111: 5563, 112: 5615, 113: 5672, 114: 5735, 115: 5790, 116: 5845,
	117: 5938, 118: 5993, 119: 6045, 120: 6099, 121: 6167, 122: 6261, 123: 6312, 124: 6367,
	125: 6422, 126: 6478, 127: 6533, 128: 6613, 129: 6668, 130: 6723, 131: 6778, 132: 6834,
	133: 6943, 134: 6998, 135: 7049, 136: 7103, 137: 7151, 138: 7204, 139: 7258, 140: 7339,
}

// releases is how many four-weekly releases after anchor most people
// have at t: a release reaches most of them over a week or so.
func releases(t, anchor time.Time) int {
	return int((t.Sub(anchor).Hours()/24 - 8) / 28)
}

func chromeNow(t time.Time) int  { return 133 + releases(t, chrome133) }
func firefoxNow(t time.Time) int { return 135 + releases(t, firefox135) }

func chromeBuild(major int) int {
	if b, ok := chromeBuilds[major]; ok {
		return b
	}
	if major < 109 {
		return 5414 - (109-major)*70
	}
	return 7339 + (major-140)*55
}

// chromeFull is a full Chrome version as web views and Chrome on iOS send
// it.
func chromeFull(r *rand.Rand, major int) string {
	return fmt.Sprintf("%d.0.%d.%d", major, chromeBuild(major), 30+r.IntN(170))
}

// lag draws how many versions behind the newest a browser is.
func lag(r *rand.Rand) int {
	switch u := r.Float64(); {
	case u < 0.55:
		return 0
	case u < 0.80:
		return 1
	case u < 0.88:
		return 2
	case u < 0.97:
		return 3 + r.IntN(4)
	default:
		return 7 + r.IntN(14)
	}
}

// iosVersion is an iOS version in use at t, as iPhone UAs write it (18_3_1)
// and as Safari's Version/ writes it (18.3).
func iosVersion(r *rand.Rand, t time.Time) (os, safari string) {
	d := int(t.Sub(ios18).Hours() / 24)
	major, minor := 18+d/365, (d%365)/50
	switch u := r.Float64(); {
	case u < 0.45:
	case u < 0.70:
		minor = max(0, minor-1)
	case u < 0.80:
		minor = max(0, minor-2-r.IntN(2))
	case u < 0.95:
		major, minor = major-1, 5+r.IntN(2)
	default:
		major, minor = major-2, 6+r.IntN(2)
	}
	os, safari = fmt.Sprintf("%d_%d", major, minor), fmt.Sprintf("%d.%d", major, minor)
	if minor > 0 && chance(r, 0.4) {
		os += fmt.Sprintf("_%d", 1+r.IntN(2))
	}
	return os, safari
}

// androidVersion is the Android release of a phone in use.
func androidVersion(r *rand.Rand) int {
	return []int{15, 14, 14, 14, 13, 13, 12, 11, 11, 10, 10, 9}[r.IntN(12)]
}

// phoneModels are the handsets web views and Samsung Internet name, by
// region.
var phoneModels = [][]string{
	regionAfrica: {"TECNO KI5q", "TECNO BG6", "Infinix X6525", "Infinix X6831", "itel A665L", "SM-A055F", "SM-A155F", "SM-A145F", "Redmi Note 12", "23129RAA4G", "CPH2591"},
	regionEurope: {"SM-A546B", "SM-S918B", "SM-S921B", "SM-A256B", "SM-G991B", "Pixel 8", "Pixel 7a", "23129RAA4G", "moto g54 5G", "CPH2591"},
	regionAsia:   {"SM-A155F", "SM-A256E", "SM-M135F", "23129RAA4G", "Redmi Note 12", "CPH2591", "V2250", "RMX3761", "RMX3261", "V2247", "M2101K6G"},
	regionLatin:  {"SM-A155M", "SM-A256E", "SM-A546E", "moto g54 5G", "moto e13", "23129RAA4G", "SM-A145M", "moto g84 5G"},
	regionNorth:  {"SM-S921U", "SM-A156U", "Pixel 8", "Pixel 8a", "Pixel 7", "moto g play - 2024", "SM-S918U"},
}

var samsungModels = []string{"SM-A055F", "SM-A155F", "SM-A156B", "SM-A256E", "SM-A356E", "SM-A546B", "SM-A145F", "SM-G991B", "SM-S918B", "SM-S921B", "SM-M135F"}

var iphoneModels = []string{"iPhone12,1", "iPhone13,2", "iPhone14,5", "iPhone14,7", "iPhone15,2", "iPhone15,4", "iPhone16,1", "iPhone17,3"}

// agents makes user agents: those of the voting public, and the stock
// strings of automation.
type agents struct{}

// phone returns the user agent of a phone voter of c at t.
func (agents) phone(r *rand.Rand, c *country, at int64) string {
	t := timeOf(at)
	if chance(r, c.ios) {
		return iphoneUA(r, t)
	}
	return androidUA(r, c, t)
}

func iphoneUA(r *rand.Rand, t time.Time) string {
	os, safari := iosVersion(r, t)
	head := "Mozilla/5.0 (iPhone; CPU iPhone OS " + os + " like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
	switch u := r.Float64(); {
	case u < 0.74:
		return head + " Version/" + safari + " Mobile/15E148 Safari/604.1"
	case u < 0.86:
		return head + " CriOS/" + chromeFull(r, chromeNow(t)-lag(r)) + " Mobile/15E148 Safari/604.1"
	case u < 0.95:
		return head + fmt.Sprintf(" Mobile/15E148 [FBAN/FBIOS;FBAV/%d.0.0.%d.%d;FBBV/%d;FBDV/%s;FBMD/iPhone;FBSN/iOS;FBSV/%s;FBSS/3;FBID/phone;FBLC/en_US;FBOP/5]",
			495+r.IntN(8), 30+r.IntN(40), 100+r.IntN(20), 690000000+r.IntN(9000000), iphoneModels[r.IntN(len(iphoneModels))], safari)
	case u < 0.98:
		return head + fmt.Sprintf(" Mobile/15E148 Instagram %d.0.0.%d.%d (%s; iOS %s; en_US; en; scale=3.00; 1170x2532; %d)",
			365+r.IntN(8), 20+r.IntN(30), 100+r.IntN(20), iphoneModels[r.IntN(len(iphoneModels))], os, 700000000+r.IntN(9000000))
	default:
		return head + fmt.Sprintf(" FxiOS/%d.0 Mobile/15E148 Safari/605.1.15", firefoxNow(t)-lag(r))
	}
}

func androidUA(r *rand.Rand, c *country, t time.Time) string {
	major := chromeNow(t) - lag(r)
	model := phoneModels[c.region][r.IntN(len(phoneModels[c.region]))]
	av := androidVersion(r)
	opera := 0.04
	if c.region == regionAfrica {
		opera = 0.09
	}
	switch u := r.Float64(); {
	case u < 0.62:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", major)
	case u < 0.70:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; SAMSUNG %s) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/%d.0 Chrome/%d.0.0.0 Mobile Safari/537.36",
			av, samsungModels[r.IntN(len(samsungModels))], 26+r.IntN(2), 121+4*r.IntN(2))
	case u < 0.79:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s Mobile Safari/537.36 [FB_IAB/FB4A;FBAV/%d.0.0.%d.%d;]",
			av, model, androidBuild(r, av), chromeFull(r, major), 495+r.IntN(8), 30+r.IntN(40), 100+r.IntN(20))
	case u < 0.82:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android %d; %s Build/%s; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s Mobile Safari/537.36 Instagram %d.0.0.%d.%d Android",
			av, model, androidBuild(r, av), chromeFull(r, major), 365+r.IntN(8), 20+r.IntN(30), 100+r.IntN(20))
	case u < 0.82+opera:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36 OPR/%d.%d.%d.%d",
			major-1, 85+r.IntN(4), r.IntN(3), 4000+r.IntN(800), 60000+r.IntN(20000))
	case c.region == regionAsia && u < 0.92:
		if chance(r, 0.5) {
			return fmt.Sprintf("Mozilla/5.0 (Linux; U; Android %d; en-US; %s Build/%s) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s UCBrowser/13.%d.0.%d Mobile Safari/537.36",
				av, model, androidBuild(r, av), chromeFull(r, major-8-r.IntN(6)), 4+r.IntN(5), 1300+r.IntN(80))
		}
		return fmt.Sprintf("Mozilla/5.0 (Linux; U; Android %d; en-us; %s Build/%s) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/%s Mobile Safari/537.36 XiaoMi/MiuiBrowser/14.%d.%d-gn",
			av, model, androidBuild(r, av), chromeFull(r, major-6-r.IntN(6)), 20+r.IntN(15), r.IntN(9))
	case u < 0.95:
		ff := firefoxNow(t) - lag(r)
		return fmt.Sprintf("Mozilla/5.0 (Android %d; Mobile; rv:%d.0) Gecko/%d.0 Firefox/%d.0", av, ff, ff, ff)
	default:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36 EdgA/%d.0.%d.%d",
			major, major, 3000+r.IntN(100), 60+r.IntN(40))
	}
}

func androidBuild(r *rand.Rand, av int) string {
	codes := map[int]string{15: "AP3A", 14: "UP1A", 13: "TP1A", 12: "SP1A", 11: "RP1A", 10: "QP1A", 9: "PPR1"}
	return fmt.Sprintf("%s.%d%02d%02d.%03d", codes[av], 22+(15-av), 1+r.IntN(12), 1+r.IntN(28), 1+r.IntN(30))
}

// desktop returns the user agent of a voter at a computer in c at t.
func (agents) desktop(r *rand.Rand, c *country, at int64) string {
	t := timeOf(at)
	mac := 0.12
	if c.region == regionNorth || c.region == regionEurope || c.code == "JP" || c.code == "AE" {
		mac = 0.25
	}
	switch u := r.Float64(); {
	case u < mac:
		return macUA(r, t)
	case u < mac+0.04:
		if chance(r, 0.5) {
			return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", chromeNow(t)-lag(r))
		}
		ff := firefoxNow(t) - lag(r)
		return fmt.Sprintf("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", ff, ff)
	case u < mac+0.06 && c.region == regionNorth:
		return fmt.Sprintf("Mozilla/5.0 (X11; CrOS x86_64 %d.%d.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", 15000+r.IntN(1000), r.IntN(100), chromeNow(t)-lag(r))
	}
	return windowsUA(r, t)
}

func windowsUA(r *rand.Rand, t time.Time) string {
	major := chromeNow(t) - lag(r)
	switch u := r.Float64(); {
	case u < 0.03:
		// Windows 7 and 8.1 stopped at Chrome 109.
		return "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36"
	case u < 0.66:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", major)
	case u < 0.86:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%d.%d",
			major, major, 3065+(major-133)*59, 40+r.IntN(60))
	case u < 0.95:
		ff := firefoxNow(t) - lag(r)
		if chance(r, 0.1) {
			ff = 128
		}
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", ff, ff)
	default:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 OPR/%d.0.0.0", major-1, major-16)
	}
}

func macUA(r *rand.Rand, t time.Time) string {
	switch u := r.Float64(); {
	case u < 0.45:
		_, safari := iosVersion(r, t)
		return "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/" + safari + " Safari/605.1.15"
	case u < 0.90:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", chromeNow(t)-lag(r))
	default:
		ff := firefoxNow(t) - lag(r)
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:%d.0) Gecko/20100101 Firefox/%d.0", ff, ff)
	}
}

// tablet returns the user agent of a family tablet: an iPad, which asks for
// desktop pages and so sends Safari on a Mac, or an Android tablet.
func (a agents) tablet(r *rand.Rand, c *country, at int64) string {
	t := timeOf(at)
	if chance(r, 0.5) {
		_, safari := iosVersion(r, t)
		return "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/" + safari + " Safari/605.1.15"
	}
	return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", chromeNow(t)-lag(r))
}

// device draws a voter's device: a phone with probability phone, else a
// computer.
func (a agents) device(r *rand.Rand, c *country, t int64, phone float64) (ua string, isPhone bool) {
	if chance(r, phone) {
		return a.phone(r, c, t), true
	}
	return a.desktop(r, c, t), false
}

// spoofed returns what anti-detect browsers and automation frameworks
// claim to be: a popular browser on a popular system, with a version drawn
// evenly from the last year and a half rather than as people update.
func (agents) spoofed(r *rand.Rand, at int64) string {
	t := timeOf(at)
	major := chromeNow(t) - r.IntN(18)
	switch u := r.Float64(); {
	case u < 0.45:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", major)
	case u < 0.60:
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36 Edg/%d.0.%d.%d",
			major, major, 3065+(major-133)*59, 40+r.IntN(60))
	case u < 0.75:
		return fmt.Sprintf("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", major)
	case u < 0.85:
		ff := firefoxNow(t) - r.IntN(18)
		return fmt.Sprintf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:%d.0) Gecko/20100101 Firefox/%d.0", ff, ff)
	default:
		return fmt.Sprintf("Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Mobile Safari/537.36", major)
	}
}
