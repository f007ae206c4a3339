extension NeverLinkRule {
    /// The patterns `Rules.standard` ships, each with the reason it is there. A rules file that
    /// names `never_link` replaces the whole list (copy it from `schemas/examples/rules.yaml`).
    ///
    /// What they cost real customers is measured, not guessed: all-digit QQ addresses
    /// (`<5–11 digits>@qq.com`) are real mail, and only the repeated and run shapes can block
    /// one (`NeverLinkRuleTests` counts them exactly, length by length).
    public static let standard: [NeverLinkRule] = [
        NeverLinkRule(
            name: "reserved_domain", kinds: [.email],
            domain: globs(
                "example.*", "*.example.*", "*.example", "test", "*.test", "invalid", "*.invalid", "localhost",
                "*.localhost"),
            reason:
                "RFC 2606 and RFC 6761 reserve these names for documentation and testing: no customer's mailbox is there"
        ),
        NeverLinkRule(
            name: "role_or_placeholder_address", kinds: [.email],
            local: globs(
                "noreply", "noreply.*", "noreply-*", "no-reply", "no-reply.*", "no_reply", "donotreply", "do-not-reply",
                "do_not_reply", "test", "testing", "test1", "test123", "tester", "null", "none", "na", "n.a", "unknown",
                "nobody", "noemail", "no-email", "no_email", "nomail", "no.mail", "nomailbox", "undefined", "abc",
                "xxx", "xx", "x", "asdf", "asdfgh", "qwerty", "qwer", "email", "mail", "customer", "guest",
                "anonymous"),
            reason:
                "role and placeholder mailboxes: what a form gets when a customer or a clerk has no address to give"),
        NeverLinkRule(
            name: "repeated_characters", kinds: [.email], shape: .repeated,
            reason: "a local part of one repeated character (aaaa@, 0000@) is keyboard filler, not a mailbox name"),
        NeverLinkRule(
            name: "keyboard_run", kinds: [.email], shape: .run,
            reason:
                "an ascending or descending run (123456@, abcdef@, 987654@) is filler; real all-digit QQ numbers are"
                + " blocked only when they are runs themselves"),
        NeverLinkRule(
            name: "single_character", kinds: [.email], shape: .singleCharacter,
            reason: "one character at a one-character domain label (a@a.com) is the shortest address a form accepts"),
        NeverLinkRule(
            name: "repeated_digits", kinds: [.phone], shape: .repeated,
            reason: "a number whose last eight digits are one digit (13900000000) is what a clerk types for no phone"),
        NeverLinkRule(
            name: "digit_run", kinds: [.phone], shape: .run,
            reason: "a number whose last eight digits run (13812345678, 13987654321) is a made-up number"),
        NeverLinkRule(
            name: "placeholder_text",
            value: globs(
                "undefined", "null", "(null)", "nil", "none", "nan", "n/a", "na", "unknown", "[object object]", "{}",
                "[]",
                "0", "-1", "-", "--", "default", "test", "00000000-0000-0000-0000-000000000000"),
            reason: "what software writes when it has no value (an unset JavaScript variable, a SQL NULL, a zeroed"
                + " advertising id)"),
    ]

    private static func globs(_ patterns: String...) -> [Glob] { patterns.map(Glob.init) }
}
