"""The NAS-Bench-101 cell: validation, pruning, official hash, sampling, mutation, ConfigSpace,
encodings and the analytic cost, checked against the official records and NASLib's sample."""

import itertools
import json

import numpy as np
import pytest

from configurationspaces.nasbench101 import (
    CONV1X1,
    CONV3X3,
    INPUT,
    MAXPOOL3X3,
    OUTPUT,
    PAD_LABEL,
    Cell,
    arrays_to_cells,
    cells_to_arrays,
    compact_padding,
    graph_hash,
    is_valid,
    output_last,
)
from configurationspaces.nasbench101_cost import cell_cost, network_cost
from configurationspaces.nasbench101_encoding import (
    ENCODED_OPS,
    FLAT_NAMES,
    N_PATHS,
    flat_encoding,
    graph_tensors,
    path_encoding,
)
from configurationspaces.nasbench101_sampling import (
    EDGE_NAMES,
    OP_NAMES,
    cell_to_configuration,
    configuration_space,
    configuration_to_cell,
    mutate,
    random_cell,
    sample_cells,
    sample_configurations,
)

from conftest import NB101_NASLIB, require_nb101

NASLIB_OPS = {0: INPUT, 1: OUTPUT, 2: MAXPOOL3X3, 3: CONV1X1, 4: CONV3X3}




@pytest.fixture(scope="module")
def naslib():
    """(unpruned specs as Cells, params in millions, flops in millions) of the 500 samples."""
    with open(require_nb101(NB101_NASLIB)) as handle:
        entries = json.load(handle)["nasbench101"]["cifar10"]
    cells, params, flops = [], [], []
    for key, value in entries.items():
        codes = [int(x) for x in key.strip("()").split(",")]
        cells.append(Cell(np.reshape(codes[:49], (7, 7)), [NASLIB_OPS[c] for c in codes[49:]]))
        params.append(value["params"])
        flops.append(value["flops"])
    return cells, np.array(params), np.array(flops)


# --- hash ------------------------------------------------------------------------------------


def test_hash_equals_official_module_hash_for_every_record(records):
    assert len(records) == 30
    for module_hash, record in records.items():
        cell = Cell(record["module_adjacency"], record["module_operations"])
        assert cell.module_hash() == module_hash
        # The records are already pruned: pruning leaves them as they are.
        assert np.array_equal(cell.matrix, record["module_adjacency"])


def _relabel(matrix, ops, order):
    """The same graph with vertex order[i] renamed i."""
    matrix = np.asarray(matrix)[np.ix_(order, order)]
    return matrix, [ops[v] for v in order]


def test_hash_is_invariant_to_isomorphic_vertex_orders(records):
    relabelled = 0
    for module_hash, record in records.items():
        matrix, ops = np.array(record["module_adjacency"]), record["module_operations"]
        n = len(ops)
        # Every order of the interior vertices that keeps the matrix upper-triangular.
        for interior in itertools.permutations(range(1, n - 1)):
            order = [0, *interior, n - 1]
            permuted, permuted_ops = _relabel(matrix, ops, order)
            if np.tril(permuted).any() or list(interior) == sorted(interior):
                continue
            assert Cell(permuted, permuted_ops).module_hash() == module_hash
            relabelled += 1
    assert relabelled == 56  # all non-identity topological orders of the 30 records


def _padded_before_output(adjacency, labels):
    """Top-left (N, 7, 7)/(N, 7) arrays re-padded the other common way: padding before the output."""
    return output_last(adjacency, labels)


def test_padded_cells_hash_and_load_like_the_cell(records):
    cells = [Cell(r["module_adjacency"], r["module_operations"]) for r in records.values()]
    top_left = cells_to_arrays(cells)
    before_output = _padded_before_output(*top_left)
    assert (before_output[1] == PAD_LABEL).any(axis=1).sum() == 4  # records with fewer than 7 vertices
    for layout in (top_left, before_output):
        for module_hash, cell, matrix, labels in zip(records, cells, *layout):
            assert graph_hash(matrix, labels) == module_hash
            assert Cell.from_labels(matrix, labels) == cell
        assert arrays_to_cells(*layout) == cells
    # The unpadded hash of a padded matrix would differ: padding is not silently hashed.
    small = next(i for i, c in enumerate(cells) if c.num_vertices < 7)
    matrix, labels = top_left[0][small], top_left[1][small]
    assert graph_hash(matrix, np.where(labels == PAD_LABEL, 0, labels)) != list(records)[small]


def test_padding_with_an_edge_is_refused():
    matrix = np.zeros((4, 4), dtype=int)
    matrix[0, 2] = matrix[2, 3] = matrix[0, 1] = 1  # vertex 1 is wired
    labels = [-1, PAD_LABEL, 0, -2]
    with pytest.raises(ValueError, match="padding vertex 1 .* has edges"):
        graph_hash(matrix, labels)
    with pytest.raises(ValueError, match="padding vertex 1 .* has edges"):
        Cell.from_labels(matrix, labels)
    adjacency = np.zeros((2, 7, 7), dtype=np.int8)
    adjacency[1, 0, 6] = 1
    with pytest.raises(ValueError, match="cell 1: padding vertex 6"):
        compact_padding(adjacency, np.array([[-1, -2, *[PAD_LABEL] * 5]] * 2))


def test_encodings_do_not_depend_on_where_the_padding_sits(records):
    cells = [Cell(r["module_adjacency"], r["module_operations"]) for r in records.values()]
    top_left = cells_to_arrays(cells)
    before_output = _padded_before_output(*top_left)
    assert not np.array_equal(top_left[1], before_output[1])
    for encode in (flat_encoding, path_encoding):
        assert np.array_equal(encode(*top_left), encode(*before_output))
    assert np.array_equal(network_cost(*top_left), network_cost(*before_output))
    for key, value in graph_tensors(*top_left).items():
        assert np.array_equal(value, graph_tensors(*before_output)[key]), key


def test_hash_separates_different_cells(records):
    hashes = set()
    for record in records.values():
        ops = list(record["module_operations"])
        ops[1] = CONV1X1 if ops[1] != CONV1X1 else CONV3X3
        hashes.add(Cell(record["module_adjacency"], ops).module_hash())
    assert len(hashes) == 30 and hashes.isdisjoint(records)


# --- validation and pruning ------------------------------------------------------------------

CHAIN_OPS = [INPUT, CONV3X3, CONV1X1, MAXPOOL3X3, CONV3X3, CONV1X1, OUTPUT]


def _chain(n=7):
    matrix = np.zeros((n, n), dtype=int)
    matrix[np.arange(n - 1), np.arange(1, n)] = 1
    return matrix


def _ten_edges():
    """The chain plus skips 0->2, 1->3, 2->4, 3->5: every edge is on an input-output path."""
    matrix = _chain()
    matrix[[0, 1, 2, 3], [2, 3, 4, 5]] = 1
    return matrix


def _broken_chain():
    matrix = _chain()
    matrix[3, 4] = 0
    return matrix


def _lower_edge():
    matrix = _chain()
    matrix[2, 0] = 1
    return matrix


@pytest.mark.parametrize(
    "matrix, ops, rule",
    [
        (_chain(8), CHAIN_OPS[:-1] + [CONV3X3, OUTPUT], "8 vertices; .*at most 7 .*max-vertices"),
        (_lower_edge(), CHAIN_OPS, r"edge 2->0 .*strictly upper-triangular"),
        (_chain(), [INPUT, "conv5x5", *CHAIN_OPS[2:]], "unknown op 'conv5x5' at vertex 1"),
        (_ten_edges(), CHAIN_OPS, "10 edges after pruning; .*at most 9 .*max-edges"),
        (_broken_chain(), CHAIN_OPS, r"output \(vertex 6\) is not reachable from the input"),
        (_chain(), [CONV3X3, *CHAIN_OPS[1:]], "vertex 0 must be 'input'"),
        (_chain(), [*CHAIN_OPS[:-1], CONV3X3], "last vertex .* must be 'output'"),
        (_chain(), [*CHAIN_OPS[:3], OUTPUT, *CHAIN_OPS[4:]], "interior vertex 3 has op 'output'"),
        (_chain(), CHAIN_OPS[:-1], "6 ops for a 7x7"),
        (_chain() * 2, CHAIN_OPS, "entries must be 0 or 1"),
        (np.ones((3, 4)), CHAIN_OPS[:3], "square"),
    ],
)
def test_bad_cells_raise_naming_the_rule(matrix, ops, rule):
    with pytest.raises(ValueError, match=rule):
        Cell(matrix, ops)
    assert not is_valid(matrix, ops)


def test_ten_edge_example_is_otherwise_valid():
    assert _ten_edges().sum() == 10
    trimmed = _ten_edges()
    trimmed[3, 5] = 0
    assert Cell(trimmed, CHAIN_OPS).num_edges == 9


def test_pruning_removes_vertices_off_input_output_paths():
    # Vertex 2 has no way in from the input, vertex 4 no way out to the output.
    matrix = np.array(
        [
            [0, 1, 0, 0, 1, 0, 0],
            [0, 0, 0, 1, 0, 0, 0],
            [0, 0, 0, 1, 0, 0, 0],
            [0, 0, 0, 0, 0, 1, 0],
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0, 0, 0],
        ]
    )
    ops = [INPUT, CONV3X3, MAXPOOL3X3, CONV1X1, CONV3X3, MAXPOOL3X3, OUTPUT]
    cell = Cell(matrix, ops)
    expected = Cell(_chain(5), [INPUT, CONV3X3, CONV1X1, MAXPOOL3X3, OUTPUT])
    assert cell == expected
    assert cell.module_hash() == expected.module_hash()
    assert cell.num_vertices == 5 and cell.num_edges == 4
    assert np.array_equal(cell.original_matrix, matrix)


def test_edge_limit_applies_after_pruning():
    # input -> 1 -> output, plus 10 edges among vertices 2..5 and to the output that no path
    # from the input reaches: 12 edges in the spec, 2 in the cell.
    matrix = np.triu(np.ones((7, 7), dtype=int), 1)
    matrix[0, 2:] = 0
    matrix[1, 2:6] = 0
    assert matrix.sum() == 12
    cell = Cell(matrix, CHAIN_OPS)
    assert cell.num_edges == 2 and cell.ops == (INPUT, CONV3X3, OUTPUT)


def test_naslib_specs_are_unpruned_and_prune_to_valid_cells(naslib):
    cells, _, _ = naslib
    assert len(cells) == 500
    assert max(int(c.original_matrix.sum()) for c in cells) > 9  # raw specs exceed the limit...
    assert max(c.num_edges for c in cells) <= 9  # ...their pruned cells do not


def test_arrays_round_trip_and_output_last_layout(records):
    cells = [Cell(r["module_adjacency"], r["module_operations"]) for r in records.values()]
    adjacency, labels = cells_to_arrays(cells)
    assert adjacency.shape == (30, 7, 7) and labels.shape == (30, 7)
    assert arrays_to_cells(adjacency, labels) == cells
    small = [i for i, c in enumerate(cells) if c.num_vertices < 7]
    assert small and (labels[small, -1] == PAD_LABEL).all()
    moved_adj, moved_labels = output_last(adjacency, labels)
    assert (moved_labels[:, -1] == -2).all() and (moved_labels[:, 0] == -1).all()
    assert np.array_equal(moved_adj.sum(axis=(1, 2)), adjacency.sum(axis=(1, 2)))
    assert np.array_equal(moved_adj[:, :, -1].sum(axis=1), [c.matrix[:, -1].sum() for c in cells])


# --- sampling, mutation, ConfigSpace ---------------------------------------------------------


def test_sampling_is_seeded_and_valid():
    first, again = sample_cells(200, seed=7), sample_cells(200, seed=7)
    assert first == again
    assert first != sample_cells(200, seed=8)
    assert all(c.num_edges <= 9 and c.num_vertices <= 7 for c in first)
    unique = sample_cells(100, seed=1, unique=True)
    assert len({c.module_hash() for c in unique}) == 100
    with pytest.raises(ValueError, match="non-negative integer"):
        sample_cells(-1)


def test_sampling_covers_the_space():
    cells = sample_cells(500, seed=0)
    assert {c.num_vertices for c in cells} >= {2, 3, 4, 5, 6}
    ops = {op for c in cells for op in c.ops[1:-1]}
    assert ops == {CONV1X1, CONV3X3, MAXPOOL3X3}


def _spec_distance(a: Cell, b: Cell) -> int:
    matrix_a, ops_a = a.padded_spec()
    matrix_b, ops_b = b.padded_spec()
    return int((matrix_a != matrix_b).sum()) + sum(x != y for x, y in zip(ops_a, ops_b))


def test_mutation_is_one_valid_step_that_changes_the_cell():
    rng = np.random.default_rng(3)
    parent = random_cell(rng)
    for _ in range(100):
        child = mutate(parent, rng)
        assert _spec_distance(parent, child) == 1
        assert child.module_hash() != parent.module_hash()
        parent = child


def test_mutation_of_input_output_cell_drifts_neutrally():
    cell = Cell([[0, 1], [0, 0]], [INPUT, OUTPUT])
    child = mutate(cell, 0)
    assert child.module_hash() == cell.module_hash()
    assert _spec_distance(cell, child) == 1
    with pytest.raises(ValueError, match="needs a Cell"):
        mutate("not a cell")


def test_configspace_round_trip_and_rejection():
    space = configuration_space(seed=0)
    assert set(space.keys()) == set(EDGE_NAMES) | set(OP_NAMES)
    assert len(EDGE_NAMES) == 21 and len(OP_NAMES) == 5
    configs = sample_configurations(space, 50)
    assert len(configs) == 50
    cells = [configuration_to_cell(c) for c in configs]
    for cell in cells:
        assert configuration_to_cell(cell_to_configuration(cell, space)) == cell
    # Some raw draws are invalid (that is why sampling rejects).
    raw = [dict(c) for c in configuration_space(seed=1).sample_configuration(200)]
    invalid = [c for c in raw if not _valid_config(c)]
    assert invalid
    with pytest.raises(ValueError):
        configuration_to_cell(invalid[0])
    with pytest.raises(ValueError, match="lacks hyperparameters"):
        configuration_to_cell({"edge_0_1": 1})


def _valid_config(values):
    try:
        configuration_to_cell(values)
    except ValueError:
        return False
    return True


# --- encodings -------------------------------------------------------------------------------


def _paths_by_dfs(cell: Cell) -> set:
    n, found = cell.num_vertices, set()

    def walk(v, sequence):
        if v == n - 1:
            found.add(tuple(sequence))
            return
        for w in np.flatnonzero(cell.matrix[v]):
            walk(w, sequence + ([cell.ops[w]] if w != n - 1 else []))

    walk(0, [])
    return found


def _path_index(sequence) -> int:
    rank = 0
    for op in sequence:
        rank = rank * 3 + ENCODED_OPS.index(op)
    return sum(3**k for k in range(len(sequence))) + rank


def test_path_encoding_matches_depth_first_search():
    cells = sample_cells(300, seed=5) + [Cell(_chain(), CHAIN_OPS)]
    encoded = path_encoding(*cells_to_arrays(cells))
    assert encoded.shape == (301, N_PATHS) == (301, 364)
    for row, cell in zip(encoded, cells):
        expected = np.zeros(N_PATHS)
        expected[[_path_index(p) for p in _paths_by_dfs(cell)]] = 1
        assert np.array_equal(row, expected)
    assert encoded[-1].sum() == 1  # the chain has one path, of 5 ops


def test_flat_encoding_places_output_last():
    # input -> conv1x1 -> output and input -> output: 3 vertices.
    cell = Cell([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [INPUT, CONV1X1, OUTPUT])
    row = flat_encoding(*cells_to_arrays([cell]))[0]
    assert row.shape == (36,) == (len(FLAT_NAMES),)
    on = {name for name, value in zip(FLAT_NAMES, row) if value}
    assert on == {"edge_0_1", "edge_0_6", "edge_1_6", f"op_1_{CONV1X1}"}


def test_graph_tensors(records):
    cells = [Cell(r["module_adjacency"], r["module_operations"]) for r in records.values()]
    graph = graph_tensors(*cells_to_arrays(cells))
    assert graph["operations"].shape == (30, 7, 5)
    assert np.array_equal(graph["num_vertices"], [c.num_vertices for c in cells])
    assert np.array_equal(graph["operations"].sum(axis=2), graph["mask"])
    assert np.array_equal(graph["adjacency"].sum(axis=(1, 2)), [c.num_edges for c in cells])


def test_encoders_reject_bad_arrays():
    with pytest.raises(ValueError, match="shape"):
        flat_encoding(np.zeros((2, 6, 6)), np.zeros((2, 6)))
    with pytest.raises(ValueError, match="unknown op label 7"):
        path_encoding(np.zeros((1, 7, 7)), np.full((1, 7), 7))


# --- parameters and FLOPs --------------------------------------------------------------------


def test_parameters_equal_official_trainable_parameters_exactly(records):
    cells = [Cell(r["module_adjacency"], r["module_operations"]) for r in records.values()]
    params, _ = network_cost(*cells_to_arrays(cells))
    assert params.tolist() == [r["trainable_parameters"] for r in records.values()]
    assert cell_cost(cells[0])[0] == records[cells[0].module_hash()]["trainable_parameters"]


def test_parameters_and_flops_match_naslib(naslib):
    cells, params_m, flops_m = naslib
    params, flops = network_cost(*cells_to_arrays(cells))
    # NASLib stores millions with 6 decimals for params: both agree to rounding.
    assert np.max(np.abs(params - params_m * 1e6)) < 0.5
    assert np.max(np.abs(flops - flops_m * 1e6) / (flops_m * 1e6)) < 1e-9


def test_cost_of_the_smallest_cell_by_hand():
    # input -> output only: every cell is one 1x1 conv-BN-ReLU projection.
    cell = Cell([[0, 1], [0, 0]], [INPUT, OUTPUT])
    stem = 27 * 128 + 2 * 128
    stack0 = 3 * (128 * 128 + 2 * 128)
    stack1 = (128 * 256 + 2 * 256) + 2 * (256 * 256 + 2 * 256)
    stack2 = (256 * 512 + 2 * 512) + 2 * (512 * 512 + 2 * 512)
    stacks = stack0 + stack1 + stack2
    assert cell_cost(cell)[0] == stem + stacks + 512 * 10 + 10
