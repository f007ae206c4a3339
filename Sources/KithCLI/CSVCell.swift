/// One CSV cell as every `--format csv` writes it: RFC 4180 quoting (a comma, quote, CR or LF
/// puts the cell in quotes, quotes doubled), and a cell a spreadsheet would run as a formula (a
/// leading `=` or `@`, or `+`/`-` not followed by a digit) prefixed with `'`. Phone numbers
/// (`+86…`) and negative amounts stay as they are.
///
/// For example: `CSVCell.escape("=HYPERLINK(\"x\")")` is `"'=HYPERLINK(""x"")"`.
enum CSVCell {
    static func escape(_ s: String) -> String {
        var text = s
        let head = Array(text.prefix(2))
        if let first = head.first,
            "=@".contains(first) || ("+-".contains(first) && !(head.count > 1 && head[1].isNumber))
        {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else {
            return text
        }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A row of cells, escaped and joined.
    static func row(_ cells: [String]) -> String { cells.map(escape).joined(separator: ",") }
}
