package dns

import (
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"

	"github.com/sloagent/sloagent/probes"
	"github.com/sloagent/sloagent/probes/internal/netprobe"
)

// check applies valid_rcodes, then the record checks of each section in
// order, as blackbox_exporter does: the first that fails names the run's
// failure.
func (r *run) check(resp *dns.Msg) probes.Result {
	if !slices.Contains(r.p.rcodes, resp.Rcode) {
		want := make([]string, len(r.p.rcodes))
		for i, rc := range r.p.rcodes {
			want[i] = dns.RcodeToString[rc]
		}
		return probes.Fail(probes.ReasonStatusCode, "rcode "+rcodeName(resp.Rcode)+" is not one of valid_rcodes "+strings.Join(want, ", "))
	}
	for i, rrs := range [3][]dns.RR{resp.Answer, resp.Ns, resp.Extra} {
		sec := r.p.sections[i]
		if msg := validate(rrs, sec.v, sec.name); msg != "" {
			return probes.Fail(probes.ReasonBodyMismatch, msg)
		}
	}
	return probes.Result{Success: true, Message: rcodeName(resp.Rcode) + ", " + strconv.Itoa(len(resp.Answer)) + " answer records"}
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return strconv.Itoa(rc)
}

// validate checks one section's records, returning why it failed or "".
// fail_if_all_match_regexp means what blackbox_exporter makes it mean,
// whatever its name suggests: every record must match every one of them,
// and a section without records passes.
func validate(rrs []dns.RR, v *RRValidator, name string) string {
	if len(rrs) == 0 {
		if len(v.FailIfNotMatchesRegexp) > 0 {
			return "no " + name + " records, and fail_if_not_matches_regexp needs some"
		}
		if len(v.FailIfNoneMatchesRegexp) > 0 {
			return "no " + name + " records, and fail_if_none_matches_regexp needs one to match"
		}
		return ""
	}
	notAll, anyMatch := "", false
	for _, rr := range rrs {
		text := rr.String()
		for _, re := range v.FailIfMatchesRegexp {
			if re.MatchString(text) {
				return name + " record " + strconv.Quote(netprobe.Clip(text)) + " matched fail_if_matches_regexp " + strconv.Quote(re.String())
			}
		}
		for _, re := range v.FailIfAllMatchRegexp {
			if notAll == "" && !re.MatchString(text) {
				notAll = name + " record " + strconv.Quote(netprobe.Clip(text)) + " did not match fail_if_all_match_regexp " + strconv.Quote(re.String()) +
					", which every record must match"
			}
		}
		for _, re := range v.FailIfNotMatchesRegexp {
			if !re.MatchString(text) {
				return name + " record " + strconv.Quote(netprobe.Clip(text)) + " did not match fail_if_not_matches_regexp " + strconv.Quote(re.String())
			}
		}
		for _, re := range v.FailIfNoneMatchesRegexp {
			if re.MatchString(text) {
				anyMatch = true
			}
		}
	}
	if notAll != "" {
		return notAll
	}
	if len(v.FailIfNoneMatchesRegexp) > 0 && !anyMatch {
		return "none of the " + strconv.Itoa(len(rrs)) + " " + name + " records matched fail_if_none_matches_regexp"
	}
	return ""
}
