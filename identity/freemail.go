package identity

import (
	"strings"

	"github.com/wsisvote/prizes/voting"
)

// freeMail are the domains of the large free mail services, where anyone
// opens an address in a minute. They are not suspicious: most voters use
// one. The class only adds a little to other evidence about a vote.
var freeMail = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, d := range strings.Fields(`
		gmail.com googlemail.com
		outlook.com outlook.fr outlook.de outlook.es hotmail.com hotmail.co.uk hotmail.fr
		hotmail.de hotmail.it hotmail.es live.com live.fr live.co.uk msn.com
		yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.es yahoo.it yahoo.co.in yahoo.co.jp
		yahoo.com.br ymail.com rocketmail.com aol.com
		icloud.com me.com mac.com
		proton.me protonmail.com protonmail.ch pm.me tutanota.com tuta.io
		gmx.com gmx.de gmx.net gmx.at web.de t-online.de freenet.de mail.com
		zoho.com yandex.com yandex.ru mail.ru inbox.ru list.ru bk.ru rambler.ru
		qq.com 163.com 126.com sina.com yeah.net naver.com daum.net hanmail.net
		rediffmail.com libero.it virgilio.it orange.fr laposte.net free.fr sfr.fr
		seznam.cz wp.pl o2.pl interia.pl onet.pl fastmail.com hushmail.com
		uol.com.br bol.com.br terra.com.br
	`) {
		m[d] = struct{}{}
	}
	return m
}()

// EmailClass returns the class of an email domain: voting.EmailDisposable
// when the disposable list has it (an account may predate the domain's
// listing), voting.EmailFree for a large free mail service, and
// voting.EmailOrganisation for any other; "" for an empty domain. Only the
// class travels in tokens and with votes, never the address.
func (s *Service) EmailClass(domain string) string {
	return EmailClassIn(s.cfg.Blocklist, domain)
}

// EmailClassIn returns the class of an email domain as Service.EmailClass
// does, with b as the disposable list, for tools that mint tokens without
// a sign-in service.
func EmailClassIn(b *Blocklist, domain string) string {
	d := strings.ToLower(strings.TrimSuffix(domain, "."))
	switch {
	case d == "":
		return ""
	case b.Blocked(d):
		return voting.EmailDisposable
	}
	if _, ok := freeMail[d]; ok {
		return voting.EmailFree
	}
	return voting.EmailOrganisation
}

// emailClassOf returns the class of an address's domain, "" when the
// address has none (an erased account's).
func (s *Service) emailClassOf(address string) string {
	at := strings.LastIndexByte(address, '@')
	if at < 0 {
		return ""
	}
	return s.EmailClass(address[at+1:])
}
