use super::*;

/// Every pattern of the D1 specs, with the strategy it must get.
const D1: &[(&str, &str)] = &[
    ("^[A-Za-z0-9_-]{1,48}$", "run"),
    ("[A-Za-z0-9_-]{1,48}", "contains"),
    ("^[A-Za-z0-9_-]{1,64}$", "run"),
    ("[A-Za-z0-9_-]{1,64}", "contains"),
    ("^[A-Za-z0-9_-]{1,15}$", "run"),
    (r"[a-zA-Z0-9_\-\. ]{1,64}", "contains"),
    ("^[a-zA-Z0-9 ]{1,64}$", "run"),
    ("^[a-z]{2}-[a-zA-Z]{2}$", "dfa"),
    (r"^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=)?$", "dfa"),
    (r"^(?:[\x20-\x2D\x2F-\x7F]*\.){4}(?:[\x20-\x2D\x2F-\x7F]*)$", "dfa"),
    ("^[0-9]{10,19}$", "run"),
    ("^[0-9]{4}$", "run"),
    ("^[0-9]{2}$", "run"),
    ("^(0[1-9]|1[0-2])[0-9]{2}$", "dfa"),
    ("^[0-9]{2}(0[1-9]|1[0-2])$", "dfa"),
    ("^[0-9]{3,4}$", "run"),
];

fn compiled(p: &str) -> CompiledPattern {
    compile(p).unwrap_or_else(|e| panic!("{p:?}: {e}"))
}

fn expr(p: &str) -> String {
    let value = Ident::new("value", proc_macro2::Span::call_site());
    compiled(p).matches_expr(&value).to_string()
}

#[test]
fn d1_patterns_compile_straight_line() {
    for (p, strategy) in D1 {
        let c = compiled(p);
        assert_eq!(c.strategy(), *strategy, "{p:?}");
        assert!(!c.needs_engine(), "{p:?}");
        assert!(!expr(p).contains("regress"), "{p:?}");
    }
}

#[test]
fn sequences_of_atoms_compile_straight_line() {
    for p in [
        "^[a-z]*[a-z0-9]{2}$",
        "^a+b?c*d{2,}e{0,3}$",
        "[0-9]{2}",
        "^[0-9]{2}",
        "[0-9]{2}$",
        "^x{1,300}y$",
        "^.{1,10}$",
        r"^\d\w\s\D\W\S$",
        "^[^a]{2,5}é$",
        "^[A-Z]{2}[0-9]{1,1000}$",
        "^😀+$",
        "a*",
        "^$",
        "^",
        "",
        "[]",
        "^(?:)$",
    ] {
        let c = compiled(p);
        assert!(!c.needs_engine(), "{p:?} went to the engine: {:?}", c.plan);
    }
}

#[test]
fn other_constructs_use_the_engine() {
    for p in [r"^(?!(.)\1)", r"^(a*)\1$", r"^(?<x>a)\k<x>$", "(?i:a)", r"\u{+41}"] {
        let c = compiled(p);
        assert!(c.needs_engine(), "{p:?} should use the engine, got {}", c.strategy());
        assert!(expr(p).contains(":: regress :: Regex :: with_flags"), "{p:?}");
    }
}

/// Lookbehinds, nested lookarounds, `\b` with a lookahead, and automata too large to
/// determinise are simulated as NFAs by `d1_runtime::pattern`, with regress's answers.
#[test]
fn lookbehinds_and_large_automata_use_the_nfa() {
    let inputs = [
        "",
        "a",
        "b",
        "ab",
        "ba",
        "aab",
        "abab",
        "a.",
        ".a",
        "x.y",
        "abc.",
        "foo",
        "a foo",
        "afoo",
        "foo bar",
        "-ab-",
        "ab-.cd",
        "1a",
        "é",
        "a\n",
        "aaaaaaaaaaaaa",
        "baaaaaaaaaaaaa",
        "abbbbbbbbbbbbb",
    ];
    for p in [
        "(?=(?!a))",
        "(?=a(?!b))",
        "(?<=a)b",
        "(?<!a)b",
        "^(?<=^)a",
        "(?<=^a)b|x",
        r"^[0-9a-z\.\-]*(?<!\.)$",
        r"^(?!\s).*(?<!\s)$",
        r"^((?!-)[a-z0-9-]{1,5}(?<!-)\.)+[a-z]{2,6}$",
        r"(?<=(?<!b)a)b",
        r"(?<=a(?=b))b",
        r"(?=a)\bfoo\b",
        r"(?=a)\ba",
        r"(?=\bf)\w+\b",
        "^(?:[ab]*a[ab]{12})$",
        "(?:a|b)*a(?:a|b){14}",
        r"(?<=\b)a\B",
    ] {
        let c = compiled(p);
        assert_eq!(c.strategy(), "nfa", "{p:?}: {:?}", c.engine_reason());
        assert!(!expr(p).contains("regress"), "{p:?}");
        let re = regress::Regex::with_flags(p, "u").expect("valid");
        for s in inputs {
            assert_eq!(c.eval(s), re.find(s).is_some(), "{p:?} on {s:?}");
        }
    }
}

/// Without `$` (`^`), what a match may go on (start) with constrains nothing: a trailing
/// (leading) `X{n,m}` counts as `X{n}`, in every alternative and inside groups, so AWS's ARN
/// patterns need an NFA of a few hundred states rather than one of a thousand steps.
#[test]
fn unanchored_ends_trim_repetitions() {
    let arn = r"arn:aws(-[\w]+)*:[a-z0-9-\\.]{0,63}:[a-z0-9-\\.]{0,63}:[0-9]{12}:(\w|\/|-){1,1011}";
    let long = format!("arn:aws:s3:x:123456789012:{}", "a".repeat(2000));
    let cases: [(&str, &[&str]); 4] = [
        (arn, &["arn:aws:s3:x:123456789012:b", "xarn:aws-cn:s3::123456789012:/", "arn:aws:s3:x:123456789012:", &long]),
        (r"(ab|c{2,900})|x(yz){3,}", &["ab", "cc", "c", "xyzyzyz", "xyzyz", "zab", "ccccccccc"]),
        (r"(?:a{2,700}|b)z$", &["az", "aaz", "aaaaaaaaz", "bz", "z", "qaaz"]),
        (r"^(?:k{0,500}|(m){2,600})\b", &["", "k", "mm", "m", "m.", "mm!", "kkk"]),
    ];
    for (p, inputs) in cases {
        let c = compiled(p);
        let small = if p == arn { expr(p).len() < 40_000 } else { c.strategy() == "dfa" };
        assert!(small, "{p:?}: {}, {} bytes", c.strategy(), expr(p).len());
        let re = regress::Regex::with_flags(p, "u").expect("valid");
        for s in inputs {
            assert_eq!(c.eval(s), re.find(s).is_some(), "{p:?} on {s:?}");
        }
    }
}

/// `^` and `$` anywhere are assertions on the position, which the automaton knows.
#[test]
fn anchors_anywhere_compile_to_automata() {
    for (p, yes, no) in [
        ("^a$|^b$", &["a", "b"][..], &["ab", "xa", "a\n", ""][..]),
        ("^a|b$", &["a", "ab", "xb", "axb"], &["xa", "bx", ""]),
        ("a^b", &[], &["ab", "a^b", ""]),
        ("^^a", &["a", "ab"], &["xa"]),
        ("a$$", &["a", "ba"], &["ab"]),
        ("(?:^|,)x(?:,|$)", &["x", "x,y", "y,x", "y,x,z"], &["yx", "xy", "y,xz"]),
        ("(^a|b)+c$", &["ac", "bc", "abbc", "xbc"], &["xac", "ab", "c"]),
        ("^(a$)?", &["", "a", "b", "ab"], &[]),
        ("x(^)?", &["x", "ax"], &[""]),
        ("(?:a|$)(?:^|b)", &["", "ab", "xaby"], &["a", "b", "xa"]),
        (" ^[a-z]+$", &[], &[" a", "a", " "]),
    ] {
        let c = compiled(p);
        assert!(!c.needs_engine(), "{p:?}: {:?}", c.engine_reason());
        let re = regress::Regex::with_flags(p, "u").expect("valid");
        for s in yes {
            assert!(c.eval(s) && re.find(s).is_some(), "{p:?} must match {s:?}");
        }
        for s in no {
            assert!(!c.eval(s) && re.find(s).is_none(), "{p:?} must not match {s:?}");
        }
    }
    assert!(compiled("^a$|^b$").is_anchored());
    assert!(compiled("(?:^a|^b)(?:c$|d$)").is_anchored());
    assert!(!compiled("^a|b$").is_anchored());
    assert!(!compiled("^a|b").accepts_almost_anything());
}

/// Lookaheads anywhere (not nested) compile to automata: straight-line, and the same answers
/// as regress.
#[test]
fn lookaheads_compile_to_automata() {
    let inputs = [
        "",
        "a",
        "aws:x",
        "Aws:x",
        "abc",
        "a--b",
        "ab-",
        "-ab",
        "123",
        "12a",
        "a1",
        ".x",
        "x.",
        "x",
        "a b",
        " ab",
        "ab ",
        "abcdefgh1A",
        "Abcdefgh1",
        "abcdefg1A",
        "a.b.c",
        "1.2.3",
        "app-x",
        "appx",
        "é",
        "a\n",
        "\n",
    ];
    for p in [
        r"^(?!aws:).{1,128}$",
        r"^(?![Aa][Ww][Ss])(s|([a-zA-Z][a-zA-Z0-9_]+))",
        r"(?!^.*--)(?!^[0-9]+$)(?!^-)(?!.*-$)^[A-Za-z0-9-]+$",
        r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)",
        r"(?=^.{2,256}$)(?!.*\s)[0-9a-zA-Z-_.:=+@]*$",
        r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d).{8,}$",
        r"^(?!app-)[a-zA-Z0-9]+[a-zA-Z0-9-_ ]+$",
        r"(?=^.{3,63}$)(?!^(\d+\.)+\d+$)(^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])$)",
        r"^(?!\s*$).+",
        r"(?!^é)^.",
        r"^(?=a)",
        r"^(?!)",
        r"[a-z](?!.*--)[a-z-]*$",
        r"(?!-)[a-z-]+",
        r"^(((?!-)[A-Za-z0-9-]{0,6}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,6}[A-Za-z0-9])$",
        r"((?=^.{1,12}$)^([a-z0-9_][a-z0-9-_]{0,6}[a-z0-9_]|[a-z0-9])(\.([a-z0-9_][a-z0-9-_]{0,6}[a-z0-9_]|[a-z0-9]))*$)|(^\.$)",
        r"a(?=b)",
        r"(?=a)b",
        r"^(?:(?!a).)+$",
        r"x(?=$)",
        r"(?!^)a",
        r"(?=.*$)(?!x$)",
    ] {
        let c = compiled(p);
        assert!(matches!(c.strategy(), "dfa" | "table" | "const"), "{p:?}: {} {:?}", c.strategy(), c.engine_reason());
        let re = regress::Regex::with_flags(p, "u").expect("valid");
        for s in inputs {
            assert_eq!(c.eval(s), re.find(s).is_some(), "{p:?} on {s:?}");
        }
    }
}

/// `\p{…}` compiles to the property's members, read off regress.
#[test]
fn unicode_properties_compile_straight_line() {
    for p in [
        r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$",
        r"^\p{Lu}\p{Ll}+$",
        r"^[^\p{Cc}]{1,8}$",
        r"\P{ASCII}",
        r"^\p{sc=Han}+$",
        r"^\p{General_Category=Decimal_Number}{2}$",
    ] {
        let c = compiled(p);
        assert!(!c.needs_engine(), "{p:?}: {:?}", c.engine_reason());
        let re = regress::Regex::with_flags(p, "u").expect("valid");
        for s in ["", "a", "Ab", "Σσ", "中文", "a b", "a\u{3000}b", "x_.:/=+-@", "٣4", "12", "\u{7}", "é", "😀", "ab\n"]
        {
            assert_eq!(c.eval(s), re.find(s).is_some(), "{p:?} on {s:?}");
        }
    }
}

/// What Unicode mode rejects means what the non-Unicode-mode engine says it means, and
/// regress gets it rewritten.
#[test]
fn annex_b_escapes_are_read_like_the_non_unicode_engine() {
    for (p, unicode_source) in [
        (r"\+[0-9]{1,3}\-[0-9()+\-]{1,30}", r"\+[0-9]{1,3}\x2D[0-9()+\-]{1,30}"),
        (r"^[\w\_\ \@]+$", r"^[\w\x5F\x20\x40]+$"),
        (r"^[\w-.]+@[a-z-\d]+$", r"^[\w\-.]+@[a-z-\d]+$"),
        (r"^[.-\s]$", r"^[.\-\s]$"),
        (r"\é\#\:", r"\u{E9}\x23\x3A"),
        (r"(?!\-)a", r"(?!\x2D)a"),
        (r"^[a-z]+$", r"^[a-z]+$"),
        // What Unicode mode rejects: letters, short `\x`/`\u`, octal, stray braces and brackets.
        (r"^\q\p\e$", r"^qpe$"),
        (r"^[\x{60}]+$", r"^[x{60}]+$"),
        (r"^\x4\u12$", r"^x4u12$"),
        (r"^[^\000-\037]\0127?$", r"^[^\x00-\x1F]\x0A7?$"),
        (r"^[\08\9\18]+$", r"^[\x0089\x018]+$"),
        (r"^[a-z]{1-3}$", r"^[a-z]\{1-3\}$"),
        (r"^\$\{[a-z]+}$", r"^\$\{[a-z]+\}$"),
        (r"^a]{,2}$", r"^a\]\{,2\}$"),
        (r"^[\p\{L\}]+$", r"^[p\{L\}]+$"),
        // Found by fuzzing: a rewritten range end after a rewritten `-`.
        (r"^[\w-\x]+$", r"^[\w\-x]+$"),
    ] {
        let c = compiled(p);
        assert_eq!(c.unicode_source, unicode_source, "{p:?}");
        // The reference: Unicode mode when that accepts the pattern, else the non-Unicode engine.
        let annex_b = regress::Regex::with_flags(p, "u")
            .or_else(|_| regress::Regex::with_flags(p, ""))
            .expect("valid without the u flag");
        assert!(!c.needs_engine(), "{p:?}: {:?}", c.engine_reason());
        for s in [
            "+1-23", "+123-(0)", "a_ @", "a-.b@x-9", "a.b@x-", "é#:", "-a", "ba", "abc", "", "+1-", "w-", "x", "qpe",
            "x{60}", "`", "x4u12", "x4", "a\n7", "a\n", "\u{1}\n", "\u{0}8", "\u{1}9", "b{1-3}", "b2", "${ab}", "${}",
            "a]{,2}", "a]", "p{L}", "L", "aaa", "a😀",
        ] {
            assert_eq!(c.eval(s), annex_b.find(s).is_some(), "{p:?} on {s:?}");
        }
    }
}

/// `\b` and `\B` compile to automata that agree with regress, around words and at both ends.
#[test]
fn word_boundaries_compile() {
    for p in [
        r"\bword\b",
        r"^\bword\b",
        r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
        r"^$|[0-9a-f]{2}\b-[0-9a-f]{2}-\b[0-9a-f]{2}",
        r"\Ba\B",
        r"^a\b.$",
        r"\b$",
        r"^\B",
        r"(?:\b|x)y",
        r"(?:a\b)+",
        r"é\b",
        r"\B",
        r"\b",
    ] {
        let c = compiled(p);
        assert!(!c.needs_engine(), "{p:?}: {:?}", c.engine_reason());
        let re = regress::Regex::with_flags(p, "u").expect("valid");
        for s in [
            "",
            "word",
            " word ",
            "swordfish",
            "a word.",
            "a@b.cd",
            "xa@b.cd!",
            "a@b.c",
            "ab-cd-ef",
            "0a-1b-2c3",
            "-ab-cd-ef-",
            "a",
            "ba",
            "bab",
            "a!",
            "a b",
            "aé",
            "éa",
            "é",
            "é ",
            "xy",
            "y",
            "zy",
            " y",
            "aaa",
            "a a",
            "_",
            "-",
        ] {
            assert_eq!(c.eval(s), re.find(s).is_some(), "{p:?} on {s:?}");
        }
    }
}

/// PCRE's `\A`, `\Z` and `\z` are read as `^` and `$` (reported), not as Annex B's letters.
#[test]
fn pcre_anchors_are_read_as_anchors() {
    let c = compiled(r"\A[a-z]+(\.[a-z]+)*\Z");
    assert!(!c.needs_engine(), "{:?}", c.engine_reason());
    assert!(c.is_anchored());
    assert_eq!(c.pcre_anchor(), Some(0));
    let cases = [("abc", true), ("a.b", true), ("Aabc", false), ("abcZ", false), ("1abc", false), ("", false)];
    for (s, expected) in cases {
        assert_eq!(c.eval(s), expected, "{s:?}");
    }
    let c = compiled(r"^x\z");
    assert_eq!((c.pcre_anchor(), c.eval("x"), c.eval("xz")), (Some(2), true, false));
    assert_eq!(compiled("^a$").pcre_anchor(), None);
}

/// A lone surrogate in a class adds nothing: no `str` holds one. regress 0.12 gets this
/// class wrong (it matches "ba"); the expectations are what V8 (node 18) answers, with and
/// without the `u` flag alike.
#[test]
fn lone_surrogates_in_a_class_add_nothing() {
    let c = compiled(r"^[a\uD800\uDBFF-\uDC00\uDFFF]*$");
    assert!(!c.needs_engine(), "{:?}", c.engine_reason());
    for (s, expected) in [("ba", false), ("a", true), ("aa", true), ("", true), ("b", false), ("a😀", false)] {
        assert_eq!(c.eval(s), expected, "{s:?}");
    }
}

#[test]
fn invalid_patterns_are_located_errors() {
    for (p, offset) in [
        ("[", 0),
        ("a{2,1}", 1),
        ("(?<", 3),
        ("\\", 0),
        ("ab\\", 2),
        ("[z-a]", 1),
        ("x(y", 1),
        ("x)", 1),
        ("a**", 2),
        ("^*", 1),
        ("a{1}{2}", 4),
        ("{2}", 0),
        (r"a\G", 1),
        (r"[\A]", 1),
        (r"[\p{L}-a]", 1),
        ("(?=a)+", 5),
        ("\\u{110000}", 0),
        ("(?x:a)", 0),
    ] {
        let err = compile(p).err().unwrap_or_else(|| panic!("{p:?} should be invalid"));
        assert!(err.message.contains(&format!("at character {offset}:")), "{p:?}: {}", err.message);
        assert!(err.message.contains("regress: "), "{p:?}: {}", err.message);
    }
    // Offsets count characters, not bytes.
    let err = compile("éé[").unwrap_err();
    assert!(err.to_string().contains("at character 2:"), "{err}");
}

#[test]
fn regress_only_errors_still_say_what() {
    // Backreference to a group that does not exist: only regress knows.
    let err = compile(r"\k<nope>(?<x>a)").unwrap_err();
    assert!(err.message.contains("invalid pattern"), "{err}");
    let err = compile(r"\p{NotAProperty}").unwrap_err();
    assert!(err.message.contains("property"), "{err}");
    // Unknown properties are located, and the message says what ECMA-262 offers.
    let err = compile(r"^[\-\p{Alnum}_]+$").unwrap_err();
    assert!(err.message.contains("at character 4: `\\p{Alnum}` is not an ECMA-262 Unicode property"), "{err}");
    assert!(err.message.contains("Script=Greek"), "{err}");
}

#[test]
fn almost_anything() {
    for p in ["[A-Za-z0-9_-]{1,48}", "[A-Za-z0-9_-]{1,64}", r"[a-zA-Z0-9_\-\. ]{1,64}", "a*", "", "(?:a|bc)"] {
        assert!(compiled(p).accepts_almost_anything(), "{p:?}");
    }
    for (p, _) in D1.iter().filter(|(p, _)| p.starts_with('^')) {
        assert!(!compiled(p).accepts_almost_anything(), "{p:?}");
    }
    for p in ["[a-z]{2}", "^[a-z]", "[a-z]$", r"(?=a)", "(?:ab|cd)"] {
        assert!(!compiled(p).accepts_almost_anything(), "{p:?}");
        assert!(!compiled(p).is_anchored(), "{p:?}");
    }
    for p in ["^$", "^[a-z]{2}$", "^(?:ab|cd)$"] {
        assert!(compiled(p).is_anchored(), "{p:?}");
    }
}

#[test]
fn descriptions() {
    assert_eq!(compiled("^[A-Za-z0-9_-]{1,48}$").describe(), "1 to 48 of `[A-Za-z0-9_-]`, whole value");
    assert_eq!(
        compiled("^[a-z]{2}-[a-zA-Z]{2}$").describe(),
        "2 of `[a-z]`, then `-`, then 2 of `[a-zA-Z]`, whole value"
    );
    assert_eq!(
        compiled("[A-Za-z0-9_-]{1,48}").describe(),
        "1 to 48 of `[A-Za-z0-9_-]`, anywhere in the value; as the pattern is not anchored, \
         any value containing one of `[A-Za-z0-9_-]` matches"
    );
    assert_eq!(compiled("^(0[1-9]|1[0-2])[0-9]{2}$").describe(), "matches `^(0[1-9]|1[0-2])[0-9]{2}$`, whole value");
    assert_eq!(compiled(r"^(a*)\1$").describe(), r"matches `^(a*)\1$`");
    assert_eq!(compiled("^$").describe(), "the empty string, whole value");
}

#[test]
fn emitted_shapes() {
    assert_eq!(
        expr("^[A-Za-z0-9_-]{1,48}$"),
        quote::quote!(
            (1..=48).contains(&value.len())
                && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        )
        .to_string()
    );
    assert_eq!(
        expr("^[0-9]{4}$"),
        quote::quote!(value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit())).to_string()
    );
    assert_eq!(
        expr("[A-Za-z0-9_-]{1,48}"),
        quote::quote!(value.bytes().any(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')).to_string()
    );
    assert_eq!(
        expr("^.{2,3}$"),
        quote::quote!(
            (2..=3).contains(&value.chars().count())
                && value.chars().all(|c| c != '\n' && c != '\r' && c != '\u{2028}' && c != '\u{2029}')
        )
        .to_string()
    );
    assert_eq!(
        expr("^[a-z]{2}-[a-zA-Z]{2}$"),
        quote::quote!({
            const FAIL: u8 = 6;
            let state = value.bytes().fold(0, |state, b| match (state, b) {
                (0 | 1, b'a'..=b'z') => state + 1,
                (2, b'-') => 3,
                (3 | 4, b'A'..=b'Z' | b'a'..=b'z') => state + 1,
                _ => FAIL,
            });
            state == 5
        })
        .to_string()
    );
}

#[test]
fn emitted_code_is_an_expression() {
    let value = Ident::new("value", proc_macro2::Span::call_site());
    for p in D1.iter().map(|(p, _)| *p).chain(["^[a-z]*[a-z0-9]{2}$", "^é+$", r"(?=x)", "", "[]"]) {
        let tokens = compiled(p).matches_expr(&value);
        syn::parse2::<syn::Expr>(tokens.clone()).unwrap_or_else(|e| panic!("{p:?}: {e}\n{tokens}"));
    }
}

/// A tiny deterministic PRNG (xorshift64*), so the fuzz tests need no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const ATOMS: &[&str] = &[
    "a",
    "b",
    "-",
    r"\.",
    ".",
    "[a-c]",
    "[^a]",
    "[ab]",
    "[b-]",
    r"\d",
    r"\w",
    r"\s",
    r"\S",
    r"\W",
    "é",
    "😀",
    "[a-zé]",
    r"[^\n]",
    r"\x41",
    r"\u{1F600}",
    r"[\u0000-\u007f]",
    "[]",
    "[^]",
    r"\u2028",
    r"[\x20-\x2D\x2F-\x7F]",
    "[😀-😂]",
    r"\ud83d\ude00",
    r"[\ud800-\udfff]",
    r"\ud800",
    r"[\-\.]",
    r"\/",
    // Annex B identity escapes and a class escape as a range end.
    r"\_",
    r"\ ",
    r"[\w-.]",
    // Unicode properties: categories, a script, negated, inside classes.
    r"\p{L}",
    r"\P{N}",
    r"[\p{Lu}\d]",
    r"[^\p{Z}a]",
    r"\p{Script=Greek}",
    "A",
    "0",
    "[0-9]",
];

const QUANTIFIERS: &[&str] =
    &["", "", "", "?", "*", "+", "{2}", "{0,2}", "{1,3}", "{2,}", "{0}", "{3}", "??", "*?", "{1,2}?"];

/// Bounded quantifiers only, for anything inside a group: regress backtracks, and nested
/// unbounded loops over nullable alternatives take it exponential time even on short inputs.
const BOUNDED: &[&str] = &["", "", "?", "{2}", "{0,2}", "{1,2}", "??"];

fn random_regex(rng: &mut Rng, depth: u32, nested: bool) -> String {
    let terms = 1 + rng.below(3);
    let mut s = String::new();
    for _ in 0..terms {
        match rng.below(12) {
            0 | 1 if depth > 0 => {
                s.push_str(&format!("(?:{})", random_regex(rng, depth - 1, true)));
                s.push_str(rng.pick(BOUNDED));
            }
            2 if depth > 0 => {
                s.push_str(&format!("({}|{})", random_regex(rng, depth - 1, true), random_regex(rng, depth - 1, true)));
                s.push_str(rng.pick(BOUNDED));
            }
            // A loop over a short non-nullable group, like Base64's `(?:[…]{4})*`.
            3 if !nested => {
                let inner: String = (0..1 + rng.below(2)).map(|_| rng.pick(ATOMS)).collect();
                s.push_str(&format!("(?:{inner}){}", rng.pick(&["*", "+", "{2,}", "*?"])));
            }
            // An anchor or a word boundary anywhere (not repeatable).
            4 => s.push_str(rng.pick(&["^", "$", "\\b", "\\B"])),
            // A lookaround anywhere (not repeatable), with no lookaround inside.
            5 if depth > 0 => {
                s.push_str(rng.pick(&["(?=", "(?!", "(?=", "(?!", "(?<=", "(?<!"]));
                s.push_str(&random_regex(rng, 0, true));
                s.push(')');
            }
            _ => {
                s.push_str(rng.pick(ATOMS));
                s.push_str(if nested { rng.pick(BOUNDED) } else { rng.pick(QUANTIFIERS) });
            }
        }
    }
    s
}

fn random_pattern(rng: &mut Rng) -> String {
    let mut p = random_regex(rng, 1, false);
    if rng.below(3) == 0 {
        p = format!("{p}|{}", random_regex(rng, 1, false));
        if rng.below(2) == 0 {
            p = format!("(?:{p})");
        }
    }
    if rng.below(2) == 0 {
        p.insert(0, '^');
    }
    if rng.below(2) == 0 {
        p.push('$');
    }
    // Leading lookaheads, anchored by the `^` above, by one inside, or not at all.
    for _ in 0..rng.below(3) {
        let kind = rng.pick(&["(?=", "(?!", "(?=^", "(?!^"]);
        p = format!("{kind}{}){p}", random_regex(rng, 0, true));
    }
    p
}

const CHARS: &[char] = &[
    'a', 'b', 'c', '-', '.', '0', '9', '_', ' ', '\n', '\r', 'é', '😀', '😁', '\u{2028}', '\u{FEFF}', 'A', 'Z', '\t',
    '/', '\u{7F}', '\u{80}', '\u{0}', 'x', 'Σ', 'σ', '٣', '\u{A0}', '\u{3000}',
];

fn random_input(rng: &mut Rng) -> String {
    let len = rng.below(9);
    (0..len).map(|_| rng.pick(CHARS)).collect()
}

/// Pieces that only Annex B reads, mixed with plain ones; each is one atom.
const ANNEX_B_ATOMS: &[&str] = &[
    r"\q",
    r"\e",
    r"[\p]",
    r"\x",
    r"\x4",
    r"\u12",
    r"\012",
    r"\0",
    r"\08",
    r"[\18\9]",
    r"[^\000-\037]",
    r"[\x{60}]",
    "{",
    "}",
    "]",
    r"\{",
    r"[a-c{]",
    "a",
    "b",
    "x",
    "0",
    "1",
    "-",
    ".",
    r"\w",
    r"[^a]",
    r"[\w-.]",
    r"\-",
];

/// Random patterns of Annex B pieces agree with the non-Unicode-mode engine on BMP inputs
/// (where it and Unicode mode see the same characters).
#[test]
fn annex_b_plans_agree_with_the_non_unicode_engine() {
    let mut rng = Rng(0x517C_C1B7);
    let inputs: Vec<char> = "aqepxu4120{}]`-.b_\n\u{a}\u{1}\u{0}\u{1f}8 9c,é".chars().collect();
    let (mut checked, mut annex_b) = (0, 0);
    for _ in 0..3000 {
        let mut p: String = (0..1 + rng.below(4))
            .map(|_| {
                format!("{}{}", rng.pick(ANNEX_B_ATOMS), rng.pick(&["", "", "?", "*", "{2}", "{1,}", "{1-2}", "{,2}"]))
            })
            .collect();
        if rng.below(3) == 0 {
            p = format!("^{p}");
        }
        if rng.below(3) == 0 {
            p.push('$');
        }
        let c = compile(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        let re = match regress::Regex::with_flags(&p, "u") {
            Ok(re) => re,
            Err(_) => {
                annex_b += 1;
                regress::Regex::with_flags(&p, "").unwrap_or_else(|e| panic!("{p:?}: {}", e.text))
            }
        };
        for _ in 0..40 {
            let s: String = (0..rng.below(7)).map(|_| rng.pick(&inputs)).collect();
            assert_eq!(c.eval(&s), re.find(&s).is_some(), "pattern {p:?} ({}) on input {s:?}", c.strategy());
            checked += 1;
        }
    }
    assert!(annex_b > 2000 && checked > 100_000, "{annex_b} Annex B patterns, {checked} checks");
}

/// The plan (what the emitted code computes) agrees with regress on random patterns and inputs.
#[test]
fn plans_agree_with_regress_on_random_patterns() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let value = Ident::new("value", proc_macro2::Span::call_site());
    let mut checked = 0;
    let mut strategies: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for _ in 0..4000 {
        let p = random_pattern(&mut rng);
        let Ok(c) = compile(&p) else {
            continue;
        };
        let re = regress::Regex::with_flags(&c.unicode_source, "u").expect("compile validated it");
        *strategies.entry(c.strategy()).or_default() += 1;
        if p.contains("(?=") || p.contains("(?!") {
            *strategies
                .entry(if c.needs_engine() { "lookahead: engine" } else { "lookahead: compiled" })
                .or_default() += 1;
        }
        syn::parse2::<syn::Expr>(c.matches_expr(&value)).unwrap_or_else(|e| panic!("{p:?}: {e}"));
        for _ in 0..60 {
            let s = random_input(&mut rng);
            let expected = re.find(&s).is_some();
            assert_eq!(c.eval(&s), expected, "pattern {p:?} ({}) on input {s:?}", c.strategy());
            checked += 1;
        }
    }
    assert!(checked > 100_000, "only {checked} checks");
    for strategy in ["const", "is_empty", "run", "contains", "dfa", "table"] {
        let n = strategies.get(strategy).copied().unwrap_or(0);
        assert!(n >= 5, "{strategy} chosen only {n} times: {strategies:?}");
    }
    let lookaheads = strategies.get("lookahead: compiled").copied().unwrap_or(0);
    assert!(lookaheads >= 500, "only {lookaheads} patterns with lookaheads compiled: {strategies:?}");
    eprintln!("{checked} checks; strategies: {strategies:?}");
}

/// The NFA program of every random pattern (whatever plan `compile` chose), run by
/// `d1_runtime::pattern`, agrees with regress.
#[test]
fn nfa_programs_agree_with_regress_on_random_patterns() {
    let mut rng = Rng(0xD1_0C0D_E6E4);
    let (mut checked, mut lookbehinds) = (0, 0);
    for _ in 0..3000 {
        let p = random_pattern(&mut rng);
        let Ok(parsed) = parse::parse(&p) else { continue };
        let (anchored_start, anchored_end, body) = strip_anchors(parsed.node);
        if engine_reason(&body).is_some() {
            continue;
        }
        let program = program::build(&body, anchored_start, anchored_end).unwrap_or_else(|| panic!("{p:?}: no NFA"));
        let re = regress::Regex::with_flags(&parsed.unicode_source, "u").expect("valid");
        lookbehinds += usize::from(has_lookbehind(&body));
        for _ in 0..40 {
            let s = random_input(&mut rng);
            assert_eq!(program.run(&s), re.find(&s).is_some(), "pattern {p:?} on input {s:?}");
            checked += 1;
        }
    }
    assert!(checked > 100_000 && lookbehinds > 150, "{checked} checks, {lookbehinds} patterns with lookbehinds");
}

/// `compile` never panics, whatever the input.
#[test]
fn compile_never_panics_on_garbage() {
    let mut rng = Rng(42);
    let pieces = [
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "\\",
        "^",
        "$",
        "|",
        "?",
        "*",
        "+",
        ".",
        "-",
        ",",
        "1",
        "9",
        "a",
        "<",
        ">",
        "=",
        "!",
        ":",
        "u",
        "x",
        "p",
        "k",
        "c",
        "{2,1}",
        "{99999999999999999999}",
        "(?<",
        "\\u{",
        "é",
        "😀",
        "\u{0}",
    ];
    for _ in 0..20_000 {
        let len = rng.below(10);
        let p: String = (0..len).map(|_| rng.pick(&pieces)).collect();
        if let Ok(c) = compile(&p) {
            let _ = c.matches_expr(&Ident::new("value", proc_macro2::Span::call_site()));
            let _ = c.describe();
        }
    }
}

/// Patterns where regress 0.12 answers differently from ECMA-262 engines (V8, SpiderMonkey).
/// The expected answers are node's: `new RegExp(p, "u").test(s)`.
const REGRESS_DISAGREES: &[(&str, &str, bool)] = &[
    ("([^]é(.{0,3}cZ{1,}?){1}){2}", "éécZZééaZ\tcZ", true),
    ("([^]é(.Z{1,}?){1}){2}", "éécZZééaZ", true),
    ("([^]a(.{0,3}cZ{1,}?){1}){2}", "aacZZaaaZ\tcZ", true),
];

#[test]
fn compiled_matchers_follow_ecma_where_regress_does_not() {
    for &(p, s, expected) in REGRESS_DISAGREES {
        let c = compiled(p);
        assert!(!c.needs_engine(), "{p:?} went to the engine: {:?}", c.engine_reason());
        assert_eq!(c.eval(s), expected, "{p:?} on {s:?} ({})", c.strategy());
        let regress = regress::Regex::with_flags(p, "u").expect("valid").find(s).is_some();
        assert_ne!(regress, expected, "regress now agrees on {p:?}: drop it from this list");
    }
}

/// Patterns a backtracking engine takes exponential time on: all compile to an automaton,
/// whose time is one step per character of the value.
#[test]
fn adversarial_patterns_compile_to_automata() {
    for p in [
        r"^\${2,4}(?:(?:1{3,}\u{1F600}{0,3}Z{2,4}|\n{0}){0,3}[^]{0,3}|Z+?[^\s][^\d\s]){2}0{0,3}$",
        "^(a+)+$",
        "^(a|a)*$",
        "^(a|aa)+$",
        "^(.*a){12}$",
        "^(?:a*)*b$",
        "^([a-z0-9]+[-.]?)*[a-z0-9]+@x$",
        "(x+x+)+y",
        "^(\\w+\\s?)*$",
    ] {
        let c = compiled(p);
        assert!(
            matches!(c.strategy(), "dfa" | "table" | "run" | "const"),
            "{p:?}: {} {:?}",
            c.strategy(),
            c.engine_reason()
        );
        let value = Ident::new("value", proc_macro2::Span::call_site());
        assert!(!c.matches_expr(&value).to_string().contains("regress"), "{p:?}");
        // The classic killers: a long near-miss. The automaton answers in one pass.
        let re = regress::Regex::with_flags(p, "u").expect("valid");
        for s in ["aaaa!", "xxxxy", "a@x", "$$", "", "$$ZZ1$$0"] {
            assert_eq!(c.eval(s), re.find(s).is_some(), "{p:?} on {s:?}");
        }
        let long = "a".repeat(5000) + "!";
        assert!(!c.eval(&long) || !p.ends_with('$'), "{p:?}");
    }
}

/// A class of every character needs no closure (whose parameter would go unused).
#[test]
fn every_character_is_a_length_check() {
    assert_eq!(expr(r"[\S\s]+"), "! value . is_empty ()");
    assert_eq!(expr(r"^[\s\S]{1,64}$"), "(1 ..= 64) . contains (& value . chars () . count ())");
    assert!(!expr(r"^[^]*$").contains("chars"), "{}", expr(r"^[^]*$"));
}

/// Long counted runs fit under the DFA cap; a pattern whose DFA is exponential in its size
/// does not, and is simulated as an NFA; an NFA past its own cap is refused, saying so.
#[test]
fn automaton_caps() {
    for p in [r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$", r"^arn:.{16,2044}$"] {
        assert!(matches!(compiled(p).strategy(), "dfa" | "table"), "{p:?}: {}", compiled(p).strategy());
    }
    assert_eq!(compiled("(?:a|b)*a(?:a|b){14}").strategy(), "nfa");
    assert_eq!(compiled(r"^(?:.{1,1020}\.jpg)$").strategy(), "nfa");
    for p in ["^(?:a{1,200}){101}$", "(?<=a{20001})"] {
        assert_eq!(compiled(p).engine_reason(), Some("needs too large an automaton"), "{p:?}");
    }
}

/// Automata beyond the `match` size use the table, and the table computes the same.
#[test]
fn table_plan_agrees_with_regress() {
    let mut rng = Rng(7);
    let p = "^(?:ab|cd|ef|gh|ij|kl|mn|op|qr|st|uv|wx|yz|a[0-9]{1,3}|d[xy]{2,9}){1,6}$";
    let c = compiled(p);
    assert_eq!(c.strategy(), "table", "{p:?}");
    let re = regress::Regex::with_flags(p, "u").expect("valid");
    let chars = ['a', 'b', 'c', 'd', 'g', 'h', '0', '9', 'x', 'y', 'z', 'é'];
    for _ in 0..20_000 {
        let s: String = (0..rng.below(24)).map(|_| rng.pick(&chars)).collect();
        assert_eq!(c.eval(&s), re.find(&s).is_some(), "{s:?}");
    }
    let value = Ident::new("value", proc_macro2::Span::call_site());
    syn::parse2::<syn::Expr>(c.matches_expr(&value)).expect("an expression");
}

/// A backreference to a group of few strings is expanded into alternatives, and the result
/// answers like regress; others still need the engine.
#[test]
fn backreferences_to_finite_groups_expand() {
    let chime = r"^(?!.*?(.)\1{3})[-_!@#$a-zA-Z0-9]*$";
    let iso = r"^([\+-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-2])(-?[1-7])?|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?|24\:?00)([\.,]\d+(?!:))?)?(\17[0-5]\d([\.,]\d+)?)?([zZ]|([\+-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)?$";
    let cases: &[(&str, &[&str])] = &[
        (chime, &["", "abc", "aaa", "aaaa", "abbbb", "abbbab", "a!!!!b", "a!!!b", "--__--", "é", "aaaé", "aaaaé"]),
        (
            iso,
            &[
                "2021",
                "2021-01",
                "202101",
                "2021-01-01",
                "20210101",
                "2021-0101",
                "202101-01",
                "2021-W05",
                "2021W053",
                "2021-123",
                "2021-01-01T12:30:15Z",
                "2021-01-01T1230:15",
                "2021-01-01T12:3015",
                "20210101T123015",
                "2021-01-01T24:00",
                "2021-01-01 12:30:15.5+02:00",
                "202101011",
                "2021-13-01",
            ],
        ),
        (r"^(a|bc)x\1$", &["axa", "bcxbc", "axbc", "bcxa", "ax", "x"]),
        (r"(a|b)\1", &["aa", "xbbx", "ab", "ba", ""]),
        (r"^(?:(a|b)\1)+$", &["aa", "aabb", "aab", "abab", "bbaa", ""]),
        (r"^(a)(b|c)\2\1$", &["abba", "acca", "abca", "abb"]),
        (r"^(a)(?:(b|c)\2\1)*$", &["a", "abba", "abbacca", "abbac", "acb"]),
        (r"^(a?)(b?)\2\1$", &["", "aa", "abba", "bb", "ab", "aba"]),
        (r"^((a)|b)\1$", &["aa", "bb", "ab"]),
        (r"^(\d):(\d{1,2})\2\1$", &["1:221", "1:23231", "1:2312", "1:22"]),
    ];
    for &(p, inputs) in cases {
        let c = compiled(p);
        assert!(!c.needs_engine(), "{p:?}: {:?}", c.engine_reason());
        let re = regress::Regex::with_flags(&c.unicode_source, "u").expect("valid");
        for s in inputs {
            assert_eq!(c.eval(s), re.find(s).is_some(), "{p:?} ({}) on {s:?}", c.strategy());
        }
    }
    // Unbounded or too many strings, a forward reference, a reference from another branch,
    // a named one, a group narrowed by nothing (not anchored).
    for p in [r"^(a*)\1$", r"^(\d{3})\1$", r"\1(a)", r"(a)|\1", r"^(?<x>a)\k<x>$", r"(.)\1", r"^(?=(a))\1"] {
        assert_eq!(compiled(p).engine_reason(), Some("uses a backreference"), "{p:?}");
    }
}

/// Random groups with later backreferences: the expansion answers like regress.
#[test]
fn expanded_backreferences_agree_with_regress() {
    let mut rng = Rng(0xBAC4_2EF5);
    let (mut expanded, mut checked) = (0, 0);
    for _ in 0..1000 {
        let group = random_regex(&mut rng, 1, true);
        let (before, middle, after) =
            (random_regex(&mut rng, 0, true), random_regex(&mut rng, 0, true), random_regex(&mut rng, 0, true));
        let tail = rng.pick(&["", "{2}", "?", "*"]);
        let p = format!("^{before}({group}){middle}\\1{tail}{after}{}", rng.pick(&["", "$"]));
        let (Ok(c), Ok(re)) = (compile(&p), regress::Regex::with_flags(&p, "u")) else { continue };
        if c.needs_engine() {
            continue;
        }
        expanded += 1;
        for _ in 0..40 {
            let s = random_input(&mut rng);
            assert_eq!(c.eval(&s), re.find(&s).is_some(), "pattern {p:?} ({}) on input {s:?}", c.strategy());
            checked += 1;
        }
    }
    assert!(expanded > 100, "only {expanded} patterns expanded ({checked} checks)");
}
