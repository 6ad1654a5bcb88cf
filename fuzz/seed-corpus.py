"""Seeds fuzz/corpus/{clarity_value,transaction} from tests/vectors/stacks.json."""
import json
import pathlib

root = pathlib.Path(__file__).resolve().parent
vectors = json.loads((root.parent / "tests" / "vectors" / "stacks.json").read_text())
seeds = {
    "clarity_value": [case["hex"] for case in vectors["values"] + vectors["invalid_values"]],
    "transaction": [case["hex"] for case in vectors["contract_calls"] + vectors["token_transfers"]],
}
for target, hexes in seeds.items():
    directory = root / "corpus" / target
    directory.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(hexes):
        (directory / f"vector-{number:04}").write_bytes(bytes.fromhex(text))
    print(f"{target}: {len(hexes)} seeds in {directory}")
