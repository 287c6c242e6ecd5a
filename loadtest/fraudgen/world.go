package fraudgen

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
)

// network is a vote's network: an IPv4 /24 in the low 24 bits, or, with
// the top bit set, an IPv6 /48 in the low 48 bits.
type network uint64

const v6Flag network = 1 << 63

func v4Net(n24 uint32) network { return network(n24 & 0xffffff) }

func v6Net(p48 uint64) network { return v6Flag | network(p48&(1<<48-1)) }

// appendTo appends the network as the ledger writes it: a.b.c.0/24, or the
// /48 in its canonical IPv6 form.
func (n network) appendTo(b []byte) []byte {
	if n&v6Flag == 0 {
		b = strconv.AppendUint(b, uint64(n>>16&0xff), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(n>>8&0xff), 10)
		b = append(b, '.')
		b = strconv.AppendUint(b, uint64(n&0xff), 10)
		return append(b, ".0/24"...)
	}
	var a [16]byte
	p := uint64(n) & (1<<48 - 1)
	for i := 0; i < 6; i++ {
		a[i] = byte(p >> (40 - 8*i))
	}
	return netip.PrefixFrom(netip.AddrFrom16(a), 48).AppendTo(b)
}

func (n network) String() string { return string(n.appendTo(nil)) }

// Regions decide which registry's IPv6 space a country's networks come
// from.
const (
	regionAfrica = iota
	regionEurope
	regionAsia
	regionLatin
	regionNorth
)

// v6Tops are first 16 bits of IPv6 /32s that each registry hands out.
var v6Tops = [][]uint16{
	regionAfrica: {0x2c0f, 0x2c0f, 0x2c0e},
	regionEurope: {0x2a00, 0x2a01, 0x2a02, 0x2a03, 0x2a04, 0x2a05, 0x2a0a, 0x2a10},
	regionAsia:   {0x2400, 0x2401, 0x2402, 0x2403, 0x2404, 0x2405, 0x2406, 0x2407, 0x2409, 0x240e},
	regionLatin:  {0x2800, 0x2801, 0x2803, 0x2804},
	regionNorth:  {0x2600, 0x2601, 0x2602, 0x2603, 0x2604, 0x2605, 0x2606, 0x2607},
}

// space hands out public address blocks that no two holders share: IPv4
// /16s and IPv6 /32s.
type space struct {
	r    *rand.Rand
	used map[uint32]bool
	v6   map[uint32]bool
}

func newSpace(r *rand.Rand) *space {
	return &space{r: r, used: map[uint32]bool{}, v6: map[uint32]bool{}}
}

// slash16 returns an unused public /16 as its first two octets.
func (s *space) slash16() uint32 {
	for {
		a, b := uint32(1+s.r.IntN(223)), uint32(s.r.IntN(256))
		v := a<<8 | b
		if s.used[v] || reserved16(a, b) {
			continue
		}
		s.used[v] = true
		return v
	}
}

// reserved16 reports whether the /16 a.b holds private, shared, loopback,
// link-local, documentation or benchmarking addresses.
func reserved16(a, b uint32) bool {
	switch {
	case a == 0, a == 10, a == 127:
		return true
	case a == 100 && b >= 64 && b < 128:
		return true
	case a == 169 && b == 254, a == 192 && b == 168, a == 192 && b == 0:
		return true
	case a == 172 && b >= 16 && b < 32:
		return true
	case a == 198 && (b == 18 || b == 19 || b == 51), a == 203 && b == 0:
		return true
	}
	return false
}

// slash32 returns an unused IPv6 /32 of the region's registry as its top
// 32 bits.
func (s *space) slash32(region int) uint32 {
	for {
		tops := v6Tops[region]
		v := uint32(tops[s.r.IntN(len(tops))])<<16 | uint32(s.r.IntN(1<<16))
		if s.v6[v] {
			continue
		}
		s.v6[v] = true
		return v
	}
}

// isp is a home broadband provider: a pool of IPv4 /24s its customers'
// addresses change within, and, when it runs IPv6, a pool of /48s, each
// holding the /56s of 256 customers.
type isp struct {
	v4 []uint32 // first /24 of each /16 block
	n4 int      // /24s in the pool
	v6 []uint64 // /48s
}

func (p *isp) home(r *rand.Rand, v6 bool) network {
	if v6 && len(p.v6) > 0 {
		return v6Net(p.v6[r.IntN(len(p.v6))])
	}
	k := r.IntN(p.n4)
	return v4Net(p.v4[k/256] + uint32(k%256))
}

// carrier is a mobile operator: its subscribers reach the internet through
// carrier-grade NAT, a handful of public /24s shared by all of them, and,
// over IPv6, a few /48s each holding the /64s of many thousands of phones.
type carrier struct {
	name string
	v4   []uint32
	v6   []uint64
}

func (c *carrier) egress(r *rand.Rand, v6 bool) network {
	if v6 && len(c.v6) > 0 {
		return v6Net(c.v6[r.IntN(len(c.v6))])
	}
	return v4Net(c.v4[r.IntN(len(c.v4))])
}

// hosting is a hosting or VPN provider: a /16 of servers, where farms and
// exit nodes rent their addresses.
type hosting struct {
	base uint32 // first /24
	v6   uint32 // /32
}

func (h *hosting) slash24(r *rand.Rand) network { return v4Net(h.base + uint32(r.IntN(256))) }

// country is where voters live: its time zone, how its people reach the
// internet, which phones they carry, and its mail and organisation
// domains.
type country struct {
	code   string
	region int
	tz     float64 // hours from UTC
	weight float64 // share of the international voting public
	phone  float64 // share of voters on a phone
	mobile float64 // share of phone voters on mobile data rather than wifi
	ios    float64 // share of phones that are iPhones
	size   int     // home /24s across its ISPs
	v6     float64 // share of its traffic over IPv6
	mail   []weighted
	orgSfx orgSuffixes

	isps     []*isp
	ispCDF   []float64
	carriers []*carrier
	carCDF   []float64
	orgs     []string
}

// countries are the voting public: the nominees' countries and the rest of
// the world that votes in an international prize.
var countrySpecs = []country{
	{code: "KE", region: regionAfrica, tz: 3, weight: 3, phone: .8, mobile: .6, ios: .08, size: 3000, v6: .05},
	{code: "BR", region: regionLatin, tz: -3, weight: 5, phone: .75, mobile: .45, ios: .15, size: 20000, v6: .35},
	{code: "IN", region: regionAsia, tz: 5.5, weight: 8, phone: .85, mobile: .65, ios: .05, size: 40000, v6: .6},
	{code: "EG", region: regionAfrica, tz: 2, weight: 3, phone: .8, mobile: .5, ios: .1, size: 6000, v6: .05},
	{code: "MX", region: regionLatin, tz: -6, weight: 3, phone: .75, mobile: .45, ios: .2, size: 10000, v6: .3},
	{code: "PH", region: regionAsia, tz: 8, weight: 4, phone: .85, mobile: .6, ios: .12, size: 5000, v6: .1},
	{code: "NG", region: regionAfrica, tz: 1, weight: 4, phone: .85, mobile: .75, ios: .06, size: 4000, v6: .02},
	{code: "ID", region: regionAsia, tz: 7, weight: 4, phone: .85, mobile: .65, ios: .1, size: 10000, v6: .15},
	{code: "CO", region: regionLatin, tz: -5, weight: 2, phone: .75, mobile: .45, ios: .15, size: 5000, v6: .1},
	{code: "RW", region: regionAfrica, tz: 2, weight: 1.5, phone: .8, mobile: .6, ios: .06, size: 600, v6: .02},
	{code: "BD", region: regionAsia, tz: 6, weight: 3, phone: .85, mobile: .6, ios: .04, size: 4000, v6: .05},
	{code: "PE", region: regionLatin, tz: -5, weight: 1.5, phone: .75, mobile: .5, ios: .12, size: 3000, v6: .15},
	{code: "GH", region: regionAfrica, tz: 0, weight: 2, phone: .85, mobile: .65, ios: .08, size: 1500, v6: .02},
	{code: "VN", region: regionAsia, tz: 7, weight: 3, phone: .85, mobile: .55, ios: .15, size: 8000, v6: .4},
	{code: "MA", region: regionAfrica, tz: 1, weight: 1.5, phone: .8, mobile: .5, ios: .1, size: 2500, v6: .05},
	{code: "NP", region: regionAsia, tz: 5.75, weight: 1.5, phone: .85, mobile: .55, ios: .05, size: 1200, v6: .1},
	{code: "AR", region: regionLatin, tz: -3, weight: 2, phone: .75, mobile: .4, ios: .15, size: 7000, v6: .1},
	{code: "TZ", region: regionAfrica, tz: 3, weight: 1.5, phone: .85, mobile: .7, ios: .05, size: 1200, v6: .02},
	{code: "UG", region: regionAfrica, tz: 3, weight: 1.5, phone: .85, mobile: .7, ios: .05, size: 1000, v6: .02},
	{code: "SN", region: regionAfrica, tz: 0, weight: 1, phone: .8, mobile: .6, ios: .06, size: 800, v6: .02},
	{code: "US", region: regionNorth, tz: -5, weight: 5, phone: .6, mobile: .35, ios: .55, size: 100000, v6: .45},
	{code: "GB", region: regionEurope, tz: 0, weight: 2.5, phone: .6, mobile: .3, ios: .5, size: 20000, v6: .4},
	{code: "FR", region: regionEurope, tz: 1, weight: 2, phone: .6, mobile: .3, ios: .35, size: 20000, v6: .6},
	{code: "DE", region: regionEurope, tz: 1, weight: 2, phone: .55, mobile: .3, ios: .35, size: 25000, v6: .6},
	{code: "CH", region: regionEurope, tz: 1, weight: 2, phone: .55, mobile: .3, ios: .55, size: 4000, v6: .3},
	{code: "IT", region: regionEurope, tz: 1, weight: 1, phone: .6, mobile: .35, ios: .35, size: 12000, v6: .1},
	{code: "ES", region: regionEurope, tz: 1, weight: 1, phone: .6, mobile: .35, ios: .3, size: 12000, v6: .2},
	{code: "PK", region: regionAsia, tz: 5, weight: 2.5, phone: .85, mobile: .65, ios: .05, size: 5000, v6: .1},
	{code: "CN", region: regionAsia, tz: 8, weight: 1.5, phone: .8, mobile: .5, ios: .2, size: 40000, v6: .5},
	{code: "RU", region: regionEurope, tz: 3, weight: 1.5, phone: .7, mobile: .4, ios: .3, size: 20000, v6: .1},
	{code: "TR", region: regionEurope, tz: 3, weight: 1.5, phone: .75, mobile: .45, ios: .2, size: 10000, v6: .05},
	{code: "SA", region: regionAsia, tz: 3, weight: 1.5, phone: .8, mobile: .55, ios: .4, size: 5000, v6: .5},
	{code: "AE", region: regionAsia, tz: 4, weight: 1.5, phone: .75, mobile: .5, ios: .5, size: 3000, v6: .4},
	{code: "ZA", region: regionAfrica, tz: 2, weight: 1.5, phone: .75, mobile: .5, ios: .2, size: 6000, v6: .05},
	{code: "ET", region: regionAfrica, tz: 3, weight: 1, phone: .85, mobile: .75, ios: .05, size: 600, v6: .02},
	{code: "CM", region: regionAfrica, tz: 1, weight: 1, phone: .85, mobile: .7, ios: .05, size: 600, v6: .02},
	{code: "CI", region: regionAfrica, tz: 0, weight: 1, phone: .85, mobile: .7, ios: .05, size: 800, v6: .02},
	{code: "TN", region: regionAfrica, tz: 1, weight: 1, phone: .8, mobile: .5, ios: .1, size: 1200, v6: .05},
	{code: "VE", region: regionLatin, tz: -4, weight: 1, phone: .8, mobile: .5, ios: .08, size: 3000, v6: .02},
	{code: "MY", region: regionAsia, tz: 8, weight: 1, phone: .8, mobile: .5, ios: .2, size: 6000, v6: .3},
	{code: "LK", region: regionAsia, tz: 5.5, weight: .8, phone: .8, mobile: .6, ios: .1, size: 1500, v6: .1},
	{code: "JP", region: regionAsia, tz: 9, weight: 1, phone: .6, mobile: .4, ios: .65, size: 30000, v6: .5},
}

// world is every country with its providers, and the hosting providers
// attackers rent from.
type world struct {
	countries []*country
	byCode    map[string]*country
	cdf       []float64
	hosts     []*hosting
	sp        *space
}

func newWorld(r *rand.Rand) *world {
	sp := newSpace(r)
	w := &world{byCode: map[string]*country{}, sp: sp}
	for _, spec := range countrySpecs {
		c := spec
		c.mail = freeMail(c.code)
		c.orgSfx = orgSuffixOf(c.code)
		buildProviders(&c, sp, r)
		c.orgs = orgDomains(r, &c, 40+c.size/500)
		w.countries = append(w.countries, &c)
		w.byCode[c.code] = &c
		w.cdf = appendCDF(w.cdf, c.weight)
	}
	for i := 0; i < 8; i++ {
		w.hosts = append(w.hosts, &hosting{base: sp.slash16() << 8, v6: sp.slash32(i % 5)})
	}
	return w
}

// buildProviders gives a country two to four home ISPs sharing its /24s
// unevenly, and two or three mobile carriers whose NAT pools are small:
// from four /24s in a small market to a few dozen in a large one.
func buildProviders(c *country, sp *space, r *rand.Rand) {
	nISP := 2 + r.IntN(3)
	shares := zipfWeights(nISP, 1)
	for i := 0; i < nISP; i++ {
		n := max(64, int(float64(c.size)*shares[i]))
		p := &isp{n4: n}
		for k := 0; k < (n+255)/256; k++ {
			p.v4 = append(p.v4, sp.slash16()<<8)
		}
		if r.Float64() < 0.3+c.v6 {
			top := uint64(sp.slash32(c.region)) << 16
			pool := 256 + r.IntN(3840)
			for k := 0; k < pool; k++ {
				p.v6 = append(p.v6, top|uint64(r.IntN(1<<16)))
			}
		}
		c.isps = append(c.isps, p)
		c.ispCDF = appendCDF(c.ispCDF, shares[i])
	}
	nCar := 2 + r.IntN(2)
	cshares := zipfWeights(nCar, 0.8)
	for i := 0; i < nCar; i++ {
		car := &carrier{name: fmt.Sprintf("%s-mobile-%d", c.code, i+1)}
		base := sp.slash16() << 8
		pool := max(4, min(48, int(float64(c.size)*cshares[i]/400)))
		start := uint32(r.IntN(256 - pool))
		for k := 0; k < pool; k++ {
			car.v4 = append(car.v4, base+start+uint32(k))
		}
		if r.Float64() < c.v6*1.5 {
			top := uint64(sp.slash32(c.region)) << 16
			for k := 0; k < 2+r.IntN(6); k++ {
				car.v6 = append(car.v6, top|uint64(r.IntN(1<<16)))
			}
		}
		c.carriers = append(c.carriers, car)
		c.carCDF = appendCDF(c.carCDF, cshares[i])
	}
}

func (c *country) homeISP(r *rand.Rand) *isp { return c.isps[pick(r, c.ispCDF)] }

func (c *country) carrier(r *rand.Rand) *carrier { return c.carriers[pick(r, c.carCDF)] }

// site returns n /24s of one organisation's own block: a campus, an
// office, a café's business line.
func (w *world) site(r *rand.Rand, n int) []network {
	base := w.sp.slash16() << 8
	start := uint32(r.IntN(256 - n))
	out := make([]network, n)
	for i := range out {
		out[i] = v4Net(base + start + uint32(i))
	}
	return out
}

// pickCountry draws a country by its share of the voting public.
func (w *world) pickCountry(r *rand.Rand) *country { return w.countries[pick(r, w.cdf)] }
