#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every public function of libudrv has its reference comment in a header.

    check-doc-comments.py LIBUDRV_SO HEADER_DIR

Checks, failing with one line per violation:
- every symbol libudrv.so exports (lib/libudrv.map exports udrv_*: read from
  the built library's dynamic symbol table with nm, so a wildcard in the map
  cannot hide one) is declared in an installed header (HEADER_DIR, installed
  as a whole by meson);
- every udrv_ function or variable declared at file scope in those headers,
  the static inline ones included, has its reference comment directly above
  the declaration (no blank line between), or directly above a group of
  adjacent declarations it belongs to; the comment names the function and
  states its Context (which thread may call it), as include/udrv/udrv.h's
  conventions say;
- every non-inline function declared there is exported (a stale declaration
  would fail to link in the embedder's program, not in ours).

The fio engine (frontends/fio/fio_udrv.map) exports only get_ioengine, fio's
external-engine entry point, which fio's own headers declare: nothing of it
belongs in udrv's headers, so it is not checked here.
Exit status: 0 all documented, 1 a violation, 77 (skip) without nm.
"""
import os
import re
import shutil
import subprocess
import sys

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def exported_symbols(lib):
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] != "A":  # A: the version node UDRV_0.1
            syms.add(parts[2].split("@")[0])
    return syms


def blank_comments(text):
    """Returns the text with comments and literals blanked (newlines kept)
    and the list of comments as (start, end, body)."""
    code = list(text)
    comments = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            comments.append((i, j, text[i:j]))
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            comments.append((i, j, text[i:j]))
        elif text[i] in "\"'":
            q, j = text[i], i + 1
            while j < n and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            j += 1
            # extern "C" stays visible (its brace is not a scope)
            if text[i:j] == '"C"':
                i = j
                continue
        else:
            i += 1
            continue
        for k in range(i, min(j, n)):
            if code[k] != "\n":
                code[k] = " "
        i = j
    code = "".join(code)
    # Preprocessor lines (with their continuations) end a declaration.
    out = []
    cont = False
    for line in code.split("\n"):
        if cont or line.lstrip().startswith("#"):
            cont = line.rstrip().endswith("\\")
            out.append(";" + " " * max(len(line) - 1, 0) if line else ";")
        else:
            out.append(line)
    return "\n".join(out), comments


def file_scope_statements(code):
    """(start, end) of each file-scope statement; extern "C" { } is not a scope.
    A statement ends at a ';' at file scope, or at the '}' closing the body of
    an inline function."""
    stmts = []
    depth, start = 0, None
    stack = []  # per open brace: is it extern "C"'s (transparent)?
    for i, c in enumerate(code):
        if start is None and not c.isspace() and c not in ";{}":
            start = i
        if c == "{":
            transparent = depth == 0 and re.search(r'extern\s+"C"\s*$', code[:i]) is not None
            stack.append(transparent)
            if transparent:
                start = None
            else:
                depth += 1
        elif c == "}":
            if stack and stack.pop():
                start = None
                continue
            depth -= 1
            if depth == 0 and start is not None and "(" in code[start:i].split("{")[0]:
                stmts.append((start, i + 1))
                start = None
        elif c == ";" and depth == 0:
            if start is not None:
                stmts.append((start, i + 1))
            start = None
    return stmts


def declared_name(stmt):
    """(name, is_static_inline) of a udrv_ function or variable the statement
    declares, or None."""
    head = stmt.split("{")[0]
    words = head.split()
    if not words or words[0] == "typedef":
        return None
    if "(" in head:
        m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\($", head[:head.index("(") + 1])
        if not m:
            return None
        name = m.group(1)
        static = "static" in head[:m.start()].split()
    elif words[0] == "extern":
        ids = IDENT.findall(head.split("[")[0].split("=")[0])
        if not ids:
            return None
        name, static = ids[-1], False
    else:
        return None
    return (name, static) if name.startswith("udrv_") else None


def check_header(path, errors):
    text = open(path, encoding="utf-8").read()
    code, comments = blank_comments(text)
    comment_end = {end: body for (_, end, body) in comments}
    comment_start = {end: start for (start, end, _) in comments}
    decls = {}
    stmts = file_scope_statements(code)
    for idx, (s, e) in enumerate(stmts):
        got = declared_name(code[s:e])
        if not got:
            continue
        name, static = got
        line = text.count("\n", 0, s) + 1
        decls[name] = (path, line, static)
        # Walk up through adjacent declarations (no blank line) to a comment.
        pos, doc = s, None
        k = idx
        while True:
            j = pos
            while j > 0 and text[j - 1] in " \t\n":
                j -= 1
            gap = text[j:pos]
            if gap.count("\n") > 1 or j == 0:
                break
            if j in comment_end:
                doc = comment_end[j]
                break
            # the statement just above, if it is a declaration too
            if k > 0 and stmts[k - 1][1] == j and declared_name(code[stmts[k - 1][0]:j]):
                k -= 1
                pos = stmts[k][0]
                continue
            break
        where = "%s:%d" % (os.path.relpath(path), line)
        if doc is None:
            errors.append("%s: %s has no reference comment directly above its declaration"
                          % (where, name))
        elif not re.search(r"\b%s\b" % re.escape(name), doc):
            errors.append("%s: the comment above %s does not name it ('%s - what it does')"
                          % (where, name, name))
        elif "Context" not in doc:
            errors.append("%s: the comment above %s does not state its Context (which "
                          "thread may call it)" % (where, name))
    return decls


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    lib, hdr_dir = sys.argv[1:3]
    if not shutil.which("nm"):
        print("SKIP: nm (binutils) is not installed")
        return 77
    errors, decls = [], {}
    for f in sorted(os.listdir(hdr_dir)):
        if f.endswith(".h"):
            decls.update(check_header(os.path.join(hdr_dir, f), errors))
    syms = exported_symbols(lib)
    for s in sorted(syms - set(decls)):
        errors.append("%s exports %s, which no installed header declares (document it in "
                      "include/udrv/, or make it udrvi_ if it is internal)" % (lib, s))
    for name, (path, line, static) in sorted(decls.items()):
        if not static and name not in syms:
            errors.append("%s:%d: %s is declared but %s does not export it"
                          % (os.path.relpath(path), line, name, os.path.basename(lib)))
    for e in errors:
        print("FAIL " + e)
    print("%d exported symbols, %d declarations in %s: %d problems"
          % (len(syms), len(decls), hdr_dir, len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
