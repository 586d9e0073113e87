"""The public API of a kata module, read with `ast` (stub and reference never share a process)."""

import ast
from pathlib import Path

Api = dict[str, str]  # public name -> a description that must match between stub and reference


def parameters(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`(a, b, *, c, **kw)`: names and kinds only; annotations and defaults may be the task."""
    args = node.args
    parts = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        parts.append("*" + args.vararg.arg)
    elif args.kwonlyargs:
        parts.append("*")
    parts += [a.arg for a in args.kwonlyargs]
    if args.kwarg:
        parts.append("**" + args.kwarg.arg)
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    return f"{prefix}({', '.join(parts)})"


def public(name: str) -> bool:
    """Not a private or dunder name."""
    return not name.startswith("_")


def module_api(source: str) -> Api:
    """Public top-level functions (with parameters), classes (with public methods) and names."""
    api: Api = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and public(node.name):
            api[node.name] = parameters(node)
        elif isinstance(node, ast.ClassDef) and public(node.name):
            api[node.name] = "class"
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and public(
                    member.name
                ):
                    api[f"{node.name}.{member.name}"] = parameters(member)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and public(target.id):
                    api[target.id] = "name"
    return api


def module_files(folder: Path, slug: str) -> dict[str, Path]:
    """The kata module's files by relative path: `slug.py`, or every .py of the package `slug/`."""
    package = folder / slug
    if (package / "__init__.py").is_file():
        return {str(p.relative_to(folder)): p for p in sorted(package.rglob("*.py"))}
    module = folder / f"{slug}.py"
    return {module.name: module} if module.is_file() else {}


def api_differences(stub_folder: Path, reference_folder: Path, slug: str) -> list[str]:
    """What differs between the stub's and the reference's public API, one line each."""
    stubs, references = module_files(stub_folder, slug), module_files(reference_folder, slug)
    problems = [
        f"{name} is in the reference but not in the stub"
        for name in references.keys() - stubs.keys()
    ]
    problems += [
        f"{name} is in the stub but not in the reference"
        for name in stubs.keys() - references.keys()
    ]
    for name in sorted(stubs.keys() & references.keys()):
        try:
            stub = module_api(stubs[name].read_text(encoding="utf-8"))
            reference = module_api(references[name].read_text(encoding="utf-8"))
        except SyntaxError as error:
            problems.append(f"{name} does not parse: {error}")
            continue
        for key in sorted(reference.keys() - stub.keys()):
            problems.append(f"{name}: `{key}` is public in the reference but missing from the stub")
        for key in sorted(stub.keys() - reference.keys()):
            problems.append(f"{name}: `{key}` is public in the stub but missing from the reference")
        for key in sorted(stub.keys() & reference.keys()):
            if stub[key] != reference[key]:
                problems.append(
                    f"{name}: `{key}` is {stub[key]} in the stub, {reference[key]} in the reference"
                )
    return problems
