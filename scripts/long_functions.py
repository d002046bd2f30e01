#!/usr/bin/env python3
"""Lists C++ functions longer than a limit (default 120 lines), and files longer than a
limit (default 800 lines), under the given folders (default: src).

A quick heuristic, not a parser: comments and literals are blanked, then each brace at
namespace or class level that follows a parameter list opens a function, which runs to its
matching brace (lambdas inside it count with it). Exits 1 when something is over a limit.

    scripts/long_functions.py [--max-lines 120] [--max-file-lines 800] [--allow FILE]... [DIR]...
"""

import argparse
import pathlib
import re
import sys

CONTAINER = re.compile(r"\b(namespace|class|struct|union|enum|extern\s+\"C\")\b[^;{}()]*$")
EXTENSIONS = {".cpp", ".hpp", ".h", ".cc"}


def blank(text):
    """Replaces comments and string/char literals by spaces, keeping line breaks."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            open_paren = text.find("(", i)
            delim = text[i + 2:open_paren]
            j = text.find(")" + delim + '"', open_paren)
            j = n if j < 0 else j + len(delim) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            # A digit separator (1'000) is not a character literal.
            if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """Yields (first line, last line, header) of each function body in `text`."""
    code = blank(text)
    stack = []  # each open brace: (kind, start line, header)
    statement_start = 0
    line = 1
    for i, c in enumerate(code):
        if c == "\n":
            line += 1
        elif c == "{":
            before = code[statement_start:i].strip()
            inside_function = any(kind == "function" for kind, _, _ in stack)
            if inside_function:
                kind = "block"
            elif CONTAINER.search(before) or before.endswith("="):
                kind = "container"
            elif ")" in before:
                kind = "function"
            else:
                kind = "block"
            header_line = line - code[statement_start:i].rstrip().count("\n")
            stack.append((kind, header_line, " ".join(before.split())[:100]))
            statement_start = i + 1
        elif c == "}":
            if stack:
                kind, start, header = stack.pop()
                if kind == "function":
                    yield start, line, header
            statement_start = i + 1
        elif c == ";":
            statement_start = i + 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dirs", nargs="*", default=["src"])
    parser.add_argument("--max-lines", type=int, default=120)
    parser.add_argument("--max-file-lines", type=int, default=800)
    parser.add_argument("--allow", action="append", default=[],
                        help="a file allowed over the file limit (path as listed)")
    args = parser.parse_args()
    over = False
    for folder in args.dirs:
        for path in sorted(pathlib.Path(folder).rglob("*")):
            if path.suffix not in EXTENSIONS or not path.is_file():
                continue
            text = path.read_text(errors="replace")
            lines = text.count("\n")
            if lines > args.max_file_lines and str(path) not in args.allow:
                print(f"{path}: {lines} lines in the file")
                over = True
            for start, end, header in functions(text):
                length = end - start + 1
                if length > args.max_lines:
                    print(f"{path}:{start}: {length} lines: {header}")
                    over = True
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
