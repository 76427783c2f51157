//! The SHOULD-level rules a valid event can break (DESIGN §2, "lint that helps"): a stable id per
//! rule, the spec's own words for it, and a compact set of rules for the list's badge and the
//! rules a browser has muted.

/// One SHOULD-level rule. The ids are stable: they travel in envelopes, in the `warnings` field of
/// `cloudevent` frames and in browsers' lists of muted rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    SourceAbsolute,
    TypePrefix,
    NameLength,
    NameLetter,
    DataString,
    ContentType,
    TextEncoding,
    Version03,
    EncodingIgnored,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::SourceAbsolute,
        Rule::TypePrefix,
        Rule::NameLength,
        Rule::NameLetter,
        Rule::DataString,
        Rule::ContentType,
        Rule::TextEncoding,
        Rule::Version03,
        Rule::EncodingIgnored,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Rule::SourceAbsolute => "source-absolute",
            Rule::TypePrefix => "type-prefix",
            Rule::NameLength => "name-length",
            Rule::NameLetter => "name-letter",
            Rule::DataString => "data-string",
            Rule::ContentType => "content-type",
            Rule::TextEncoding => "text-encoding",
            Rule::Version03 => "version-0.3",
            Rule::EncodingIgnored => "encoding-ignored",
        }
    }

    /// The rule with this id; `None` for ids this version does not know (a newer server's).
    pub fn parse(id: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|rule| rule.id() == id)
    }

    /// What the spec says, in its own words where it has them, with where it says it.
    pub fn reason(self) -> &'static str {
        match self {
            Rule::SourceAbsolute => "source: \"An absolute URI is RECOMMENDED\" (CloudEvents 1.0, source)",
            Rule::TypePrefix => {
                "type: \"SHOULD be prefixed with a reverse-DNS name\" (CloudEvents 1.0, type)"
            }
            Rule::NameLength => {
                "Attribute names \"SHOULD NOT exceed 20 characters\" (CloudEvents 1.0, attribute naming)"
            }
            Rule::NameLetter => {
                "Attribute names \"SHOULD start with a letter\" (CloudEvents 1.0, attribute naming)"
            }
            Rule::DataString => {
                "When datacontenttype is not JSON, \"the data member SHOULD be treated as an encoded content \
                 string\" (JSON format §3.1)"
            }
            Rule::ContentType => {
                "\"A sender that generates a message containing content SHOULD generate a Content-Type header \
                 field\" (RFC 9110 §8.3)"
            }
            Rule::TextEncoding => {
                "A text body should be in the charset its Content-Type declares (RFC 2046 §4.1)"
            }
            Rule::Version03 => "CloudEvents 0.3 is superseded by 1.0; receivers may drop 0.3 support",
            Rule::EncodingIgnored => {
                "In binary mode datacontentencoding is ignored: the body is the data (CloudEvents 0.3 HTTP binding)"
            }
        }
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of rules: what one event breaks, or what a browser has muted. `Copy`, two bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RuleSet(u16);

impl RuleSet {
    /// The rules `warnings` name.
    pub fn of(warnings: &[super::Warning]) -> RuleSet {
        warnings.iter().filter_map(|w| Rule::parse(&w.rule)).collect()
    }

    /// Rules from ids separated by spaces or commas; unknown ids are left out.
    pub fn parse(ids: &str) -> RuleSet {
        ids.split([' ', ',']).filter_map(Rule::parse).collect()
    }

    pub fn contains(self, rule: Rule) -> bool {
        self.0 & rule.bit() != 0
    }

    pub fn insert(&mut self, rule: Rule) {
        self.0 |= rule.bit();
    }

    pub fn remove(&mut self, rule: Rule) {
        self.0 &= !rule.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    /// The rules of `self` that are not in `other`.
    #[must_use]
    pub fn without(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 & !other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Rule> {
        Rule::ALL.into_iter().filter(move |rule| self.contains(*rule))
    }

    /// The ids separated by single spaces, in [`Rule::ALL`] order: the form [`RuleSet::parse`] reads.
    pub fn to_ids(self) -> String {
        self.iter().map(Rule::id).collect::<Vec<_>>().join(" ")
    }
}

impl FromIterator<Rule> for RuleSet {
    fn from_iter<I: IntoIterator<Item = Rule>>(rules: I) -> Self {
        let mut set = RuleSet::default();
        rules.into_iter().for_each(|rule| set.insert(rule));
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_parse_back() {
        for rule in Rule::ALL {
            assert_eq!(Rule::parse(rule.id()), Some(rule));
            assert_eq!(Rule::ALL.iter().filter(|r| r.id() == rule.id()).count(), 1);
            assert!(!rule.reason().is_empty());
        }
        assert_eq!(Rule::parse("no-such-rule"), None);
    }

    #[test]
    fn a_set_reads_and_writes_ids_and_skips_unknown_ones() {
        let set = RuleSet::parse("type-prefix,source-absolute  future-rule");
        assert_eq!(set.len(), 2);
        assert!(set.contains(Rule::SourceAbsolute) && set.contains(Rule::TypePrefix));
        assert_eq!(set.to_ids(), "source-absolute type-prefix");
        assert_eq!(RuleSet::parse(&set.to_ids()), set);
        assert!(RuleSet::parse("").is_empty());
    }

    #[test]
    fn muting_removes_rules_from_what_counts() {
        let event = RuleSet::parse("source-absolute name-length");
        let mut muted = RuleSet::default();
        muted.insert(Rule::SourceAbsolute);
        assert_eq!(event.without(muted).iter().collect::<Vec<_>>(), [Rule::NameLength]);
        muted.remove(Rule::SourceAbsolute);
        assert_eq!(event.without(muted), event);
    }
}
