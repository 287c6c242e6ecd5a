// Package prizes holds the domain of a prize contest around the vote: editions,
// their rules and phases, submissions and their review, the Champion cut by
// counted votes, jury scoring and the Winners, signed results, the audit
// chain, the WSIS categories and the demo contest used for rehearsals. It is
// pure logic: persistence lives in prizes/postgres. It imports the standard
// library and the voting domain only.
package prizes

import (
	"crypto/sha1"
	"fmt"

	"github.com/wsisvote/prizes/voting"
)

// WSISCategories returns the 18 WSIS Action Line prize categories, the
// default categories of an edition. C7 has one category per e-application.
func WSISCategories() []voting.Category {
	return []voting.Category{
		{Code: "C1-governments", Name: "The role of public governance authorities and all stakeholders in the promotion of ICTs for development"},
		{Code: "C2-infrastructure", Name: "Information and communication infrastructure"},
		{Code: "C3-access", Name: "Access to information and knowledge"},
		{Code: "C4-capacity", Name: "Capacity building"},
		{Code: "C5-security", Name: "Building confidence and security in use of ICTs"},
		{Code: "C6-environment", Name: "Enabling environment"},
		{Code: "C7-egovernment", Name: "ICT applications: e-government"},
		{Code: "C7-ebusiness", Name: "ICT applications: e-business"},
		{Code: "C7-elearning", Name: "ICT applications: e-learning"},
		{Code: "C7-ehealth", Name: "ICT applications: e-health"},
		{Code: "C7-eemployment", Name: "ICT applications: e-employment"},
		{Code: "C7-eenvironment", Name: "ICT applications: e-environment"},
		{Code: "C7-eagriculture", Name: "ICT applications: e-agriculture"},
		{Code: "C7-escience", Name: "ICT applications: e-science"},
		{Code: "C8-diversity", Name: "Cultural diversity and identity, linguistic diversity and local content"},
		{Code: "C9-media", Name: "Media"},
		{Code: "C10-ethics", Name: "Ethical dimensions of the Information Society"},
		{Code: "C11-cooperation", Name: "International and regional cooperation"},
	}
}

// demoNamespace seeds the name-based project ids of demo editions, so that
// seeding is repeatable and every machine gets the same ids.
var demoNamespace = [16]byte{0x6b, 0x2f, 0x1e, 0x57, 0x0c, 0x4a, 0x4d, 0x8e, 0x9a, 0x31, 0x55, 0x0e, 0x7d, 0x42, 0x11, 0xc3}

// NameID returns a name-based (version 5) UUID for name within the demo
// namespace.
func NameID(name string) string {
	h := sha1.New()
	h.Write(demoNamespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

var (
	demoThemes = []string{
		"Open Data Portal", "Rural Broadband Cooperative", "Digital Literacy Caravan", "Mobile Health Clinic",
		"Farmers' Market Exchange", "Civic Feedback Platform", "Community Radio Network", "Accessible Library",
		"Cyber Hygiene Academy", "Women in Tech Fellowship", "Flood Early Warning", "Telemedicine Bridge",
		"Local Language Keyboard", "Youth Coding Clubs", "Smart Water Meters", "Citizen Science Atlas",
		"Micro-Jobs Marketplace", "E-Court Services", "School Connectivity Drive", "Heritage Archive",
	}
	// demoAims say what each theme's demo project does, for its summary.
	demoAims = []string{
		"publishes the budgets, contracts and service data of local government as open, machine-readable data that journalists and citizens reuse",
		"connects remote villages to affordable broadband through a community-owned network that local technicians build and maintain",
		"takes a mobile classroom from town to town to teach adults to use phones, email and online public services safely",
		"brings a clinic on wheels with connected diagnostic tools to districts that have no hospital within a day's travel",
		"lets smallholder farmers compare prices and sell their harvest directly to buyers by text message",
		"gives residents one place to report broken streetlights, potholes and water leaks, and to follow each report until it is fixed",
		"links community radio stations so that local news, health advice and weather warnings reach listeners in their own languages",
		"makes books, newspapers and public documents available in braille, audio and easy-read formats",
		"trains small businesses and schools to recognise phishing, protect their accounts and recover from an attack",
		"supports women entering software and network engineering with a year of paid mentoring and training",
		"warns riverside communities of floods hours earlier by combining river sensors, rainfall data and mobile alerts",
		"connects rural health workers with specialists in the capital for remote consultations and second opinions",
		"builds keyboards, spell checkers and voice input for languages that phones and computers do not yet support",
		"runs free after-school clubs where teenagers learn to code by building apps for their own neighbourhoods",
		"installs connected water meters that find leaks early and let households follow and reduce their use",
		"invites volunteers to record birds, plants and air quality with their phones, feeding open scientific datasets",
		"matches people in informal work with short paid tasks, and pays them safely through mobile money",
		"lets citizens file cases, pay fees and follow hearings online instead of travelling to a courthouse",
		"brings reliable internet to every public school in the region, with teachers trained to use it in class",
		"digitises photographs, recordings and manuscripts of local history and opens them to schools and the public",
	}
	demoCountries = []string{"KE", "BR", "IN", "EG", "MX", "PH", "NG", "ID", "CO", "RW", "BD", "PE", "GH", "VN", "MA", "NP", "AR", "TZ", "UG", "SN"}
)

// DemoEdition returns a demo edition in its voting phase with the WSIS
// categories and perCategory nominated projects in each.
func DemoEdition(id string, perCategory int) (voting.Edition, []voting.Category, []voting.Project) {
	ed := voting.Edition{ID: id, Name: "Demo edition (WSIS categories)", Phase: voting.PhaseVoting, Rules: voting.DefaultRules()}
	cats := WSISCategories()
	var projects []voting.Project
	for ci, c := range cats {
		for i := 0; i < perCategory; i++ {
			theme := demoThemes[(ci+i)%len(demoThemes)]
			country := demoCountries[(ci*7+i)%len(demoCountries)]
			projects = append(projects, voting.Project{
				ID:           NameID(fmt.Sprintf("%s/%s/%02d", id, c.Code, i+1)),
				Edition:      id,
				Category:     c.Code,
				Title:        fmt.Sprintf("%s %02d (%s)", theme, i+1, c.Code),
				Organisation: fmt.Sprintf("%s Organisation %02d", country, i+1),
				Country:      country,
				Summary:      demoSummary(theme, demoAims[(ci+i)%len(demoAims)], i+1),
				Links:        []string{fmt.Sprintf("https://example.org/%s/%s/%02d", id, c.Code, i+1)},
				Nominated:    true,
			})
		}
	}
	return ed, cats, projects
}

// demoSummary writes a demo project's summary, two short paragraphs, so the
// ballot shows text of a real entry's length and shape.
func demoSummary(theme, aim string, n int) string {
	return fmt.Sprintf("%s %02d %s. It started as a small pilot and now serves several districts, "+
		"working with local authorities, schools and civil society organisations.\n\n"+
		"The team measures what changes for the people it serves and publishes the results every year. "+
		"Its tools are open source, so that others can adapt them to their own communities, languages and needs.", theme, n, aim)
}
