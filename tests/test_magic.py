"""%%tune and %tune through a real IPython shell, on the session's real Ray."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import ray.cloudpickle as cloudpickle
from IPython.core.interactiveshell import InteractiveShell

import tunebook as tb
from tests.logs import quiet_record
from tunebook.events import SILENT_AFTER_S
from tunebook.magic import MagicOptionError

pytestmark = pytest.mark.usefixtures("ray_session")


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "tunebook")
    ip.run_line_magic(
        "config", f"TuneMagic.storage_path = {str(tmp_path_factory.mktemp('magic'))!r}"
    )
    return ip


def run(ip: InteractiveShell, code: str):
    """Run a cell as a notebook would; re-raise what it raised (as jupysql's TestingShell)."""
    result = ip.run_cell(code)
    error = result.error_before_exec or result.error_in_exec
    if error is not None:
        raise error
    return result.result


SETUP = """
import numpy as np

def make_model(lr, depth):
    return {"lr": lr, "depth": depth}

def score(model, X, epoch):
    fit = 1 - abs(model["lr"] - 0.01) - 0.01 * abs(model["depth"] - 5)
    return float(X.mean()) * fit + 0.001 * epoch

X = np.ones(625_000)   # 5 MB
"""


def test_a_cell_tunes_with_notebook_names_and_ships_big_data_once(shell):
    run(shell, SETUP)
    exp = run(
        shell,
        """%%tune -n 6 --metric acc --mode max -o coarse --wait --seed 0
lr = loguniform(1e-4, 1e-1)
depth = randint(2, 10)
model = make_model(lr=lr, depth=depth)
for epoch in range(3):
    report(acc=score(model, X, epoch))
""",
    )
    assert isinstance(exp, tb.Experiment) and shell.user_ns["coarse"] is exp
    assert exp.status == "completed"
    results = exp.results
    assert len(results.trials) == 6 and results.trials["iterations"].tolist() == [3] * 6
    assert set(results.best().config) == {"lr", "depth"}
    # the 5 MB array went through Ray's object store, once: not into the trial function
    assert results.settings["with_parameters"] == ["X"]
    assert results.space == tb.Space({"lr": tb.loguniform(1e-4, 1e-1), "depth": tb.randint(2, 10)})


def test_the_shipped_trial_function_is_small(shell):
    from tunebook.cell import capture, parse_cell, trial_function

    run(shell, SETUP)
    cell = parse_cell("lr = uniform(0, 1)\nacc = score(make_model(lr, 3), X, 0)\n", metric="acc")
    captured = capture(cell, shell.user_ns)
    assert list(captured.large) == ["X"]
    assert len(cloudpickle.dumps(trial_function(cell, captured))) < 100_000


def test_background_cell_returns_at_once_then_wait(shell):
    started = time.monotonic()
    exp = run(
        shell,
        """%%tune -n 2 --metric loss --mode min -o slow_exp
x = uniform(0, 1)
import time
for step in range(20):
    time.sleep(0.1)
    report(loss=(x - 0.5) ** 2)
""",
    )
    assert time.monotonic() - started < 5  # the cell did not wait for the trials (~2 s each)
    assert not exp.done
    assert exp.wait(timeout=120) and exp.status == "completed"
    assert exp.results.trials["iterations"].tolist() == [20, 20]


def test_implicit_report_cross_validation_style(shell):
    exp = run(
        shell,
        """%%tune -n 1 --metric acc --mode max --wait --search grid -o cv_exp
C = grid([0.1, 1.0, 10.0])
acc = 1 / (1 + abs(C - 1.0))
""",
    )
    assert exp.results.best().config == {"C": 1.0}
    assert exp.results.trials["iterations"].tolist() == [1, 1, 1]


def test_default_output_variable_is_announced(shell, capsys):
    exp = run(shell, "%%tune -n 1 --metric acc --mode max --wait\na = uniform(0, 1)\nacc = a\n")
    out = capsys.readouterr().out
    name = out.split("`")[1]
    assert shell.user_ns[name] is exp and "-o NAME" in out


def test_line_magic_runs_a_function_and_lists_and_stops(shell, capsys):
    run(
        shell,
        """
import tunebook as tb
def objective(config):
    import time
    for step in range(200):
        tb.report(v=config["a"] * step)
        time.sleep(0.05)
space = {"a": tb.uniform(0, 1)}
""",
    )
    exp = run(shell, "%tune objective --space space --metric v --mode max -n 2 -o line_exp")
    deadline = time.monotonic() + 60
    while len(exp.snapshot().history) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    listing = run(shell, "%tune list")
    row = listing.set_index("name").loc[exp.name]
    assert row["variable"] == "line_exp" and row["status"] == "running" and row["metric"] == "v"
    run(shell, "%tune stop line_exp")
    assert exp.wait(timeout=60) and exp.status == "stopped"
    assert "Stopping" in capsys.readouterr().out
    assert run(shell, "%tune list").set_index("name").loc[exp.name, "status"] == "stopped"


def test_tune_list_shows_the_storage_folders_other_records_and_a_crashed_one(shell):
    storage = Path(shell.find_magic("tune").__self__.storage_path)
    (storage / "gone").mkdir()
    quiet_record(storage / "gone", silent_for=SILENT_AFTER_S + 5)  # another kernel, killed
    (storage / "quiet").mkdir()
    quiet_record(storage / "quiet", silent_for=1)  # another kernel, trials in a long step
    (storage / "broken").mkdir()
    (storage / "broken" / "events.jsonl").write_text("\n")
    listing = run(shell, "%tune list").set_index("name")
    assert listing.loc["quiet", "status"] == "running"
    assert listing.loc["gone", "status"] == "crashed" and listing.loc["gone", "trials"] == 2
    assert listing.loc["broken", "status"] == "unreadable"


def test_a_trial_that_never_reports_the_metric_stops_the_experiment(shell):
    exp = run(
        shell,
        """%%tune -n 20 --metric acc --mode max -c 1 -o wrong_metric
a = uniform(0, 1)
report(loss=a, epoch=1)
acc_typo = a
""",
    )
    with pytest.raises(
        tb.MetricNotReportedError, match=r"without ever reporting `acc`.*it reported: epoch, loss"
    ) as caught:
        exp.wait(timeout=120)
    # the notebook shows the message alone, not under a traceback through tunebook and Ray
    assert caught.value._render_traceback_() == [f"MetricNotReportedError: {caught.value}"]
    assert exp.status == "failed"
    assert len(exp.snapshot().trials) < 20  # it did not run 20 useless trials
    assert tb.load(exp.path).status == "failed"


def test_usage_is_generated_from_the_options_model(shell):
    from tunebook.engine import OPTIONS

    doc = shell.find_cell_magic("tune").__doc__
    for option in OPTIONS:
        if option.cell is None:
            continue  # Python only (a dict, an object)
        for flag in (option.flag, *option.flags):
            assert flag in doc, flag
    assert "asha: max_t=100, grace_period=1, reduction_factor=4, brackets=1" in doc
    assert "hyperband: max_t=81, reduction_factor=3" in doc


def test_config_sets_defaults(shell):
    run(shell, "%config TuneMagic.metric = 'acc'")
    run(shell, "%config TuneMagic.mode = 'max'")
    run(shell, "%config TuneMagic.samples = 2")  # the older flag's name still sets it
    try:
        exp = run(shell, "%%tune --wait -o cfg_exp\na = uniform(0, 1)\nacc = a\n")
        assert exp.results.metric == "acc" and len(exp.results) == 2
        run(shell, "%config TuneMagic.num_samples = 1")  # tb.run's name for it comes first
        assert len(run(shell, "%%tune --wait\na = uniform(0, 1)\nacc = a\n").results) == 1
    finally:
        for name in ("metric", "mode", "samples", "num_samples"):
            run(shell, f"%config TuneMagic.{name} = None")


def test_line_magic_errors(shell):
    with pytest.raises(MagicOptionError, match="needs a command"):
        run(shell, "%tune")
    with pytest.raises(MagicOptionError, match="defines no 'objectiv'. Did you mean 'objective'"):
        run(shell, "%tune objectiv --space space --metric v --mode max")
    with pytest.raises(MagicOptionError, match="needs --space"):
        run(shell, "%tune objective --metric v --mode max")
    with pytest.raises(MagicOptionError, match="no experiment of that name"):
        run(shell, "%tune stop nothing_like_it")


def test_refine_runs_the_next_stage_from_the_previous_ones_space(shell):
    run(
        shell,
        """%%tune -n 8 --metric f --mode max -o stage1 --wait --seed 0
x = uniform(0, 1)
kind = choice(["a", "b"])
f = -(x - 0.3) ** 2
""",
    )
    stage2 = run(
        shell,
        """%%tune -n 4 --metric f --mode max -o stage2 --wait --seed 1 --refine stage1 --warm-start
f = -(x - 0.3) ** 2 + (0.01 if kind == "a" else 0)
""",
    )
    stage1 = shell.user_ns["stage1"]
    assert stage2.results.space == stage1.results.refine()
    assert stage2.results.stages["name"].tolist() == [stage1.name, stage2.name]
    assert stage2.results.best().metrics["f"] >= stage1.results.best().metrics["f"]
    with pytest.raises(tb.errors.UserInputError, match="--refine nothing: nothing is not defined"):
        run(shell, "%%tune --metric f --mode max --refine nothing\nf = 1\n")
    # the line magic: a function over the refined space, --space overriding one parameter
    run(shell, "def g(config):\n    tb.report(f=-(config['x'] - 0.3) ** 2)\n")
    run(shell, "import tunebook as tb\nwide = {'x': tb.uniform(0, 1)}")
    stage3 = run(
        shell, "%tune g -n 3 --metric f --mode max --refine stage1 --space wide --wait -o stage3"
    )
    assert stage3.results.space["x"].upper == 1.0  # --space overrode x
    assert stage3.results.stages["name"].tolist() == [stage1.name, stage3.name]
    # refine()'s knobs from the line
    stage4 = run(
        shell,
        "%%tune -n 2 --metric f --mode max -o stage4 --wait --refine stage1 --top 0.5 "
        "--margin 0 --min-trials 2 --keep kind\nf = -(x - 0.3) ** 2\n",
    )
    narrowed = stage1.results.refine(top=0.5, margin=0, min_trials=2, keep=["kind"])
    assert stage4.results.space == narrowed and "kind" in stage4.results.space
    with pytest.raises(MagicOptionError, match="--top goes with --refine NAME"):
        run(shell, "%%tune --metric f --mode max --top 0.5\nx = uniform(0, 1)\nf = x\n")


def test_a_space_in_a_variable_ray_names_and_the_defaults_tb_run_has(shell):
    run(shell, "import tunebook as tb\nsp = tb.Space({'x': tb.uniform(0, 1), 'k': 3})")
    exp = run(
        shell,
        "%%tune --metric f --mode max --space sp --num-samples 2 --scheduler asha "
        "--grace-period 1 --max-t 2 --wait -o spaced\nk = grid([1, 2])\nf = x * k\n",
    )
    settings = exp.results.settings
    assert exp.results.space == tb.Space({"x": tb.uniform(0, 1), "k": tb.grid([1, 2])})
    assert settings["num_samples"] == 2 and len(exp.results) == 4  # 2 samples x 2 grid values
    # without -n: tb.run's own default, 10 for a space with something to sample
    default = run(
        shell, "%%tune --metric f --mode max --wait -o tenfold\nx = uniform(0, 1)\nf = x\n"
    )
    assert default.results.settings["num_samples"] == 10 == len(default.results)


def test_line_magic_passes_a_ray_train_trainer_to_run(shell):
    """tb.run's own checks on a trainer answer, so %tune handed it the trainer (running one
    is tests/engine/test_train.py's and notebook 05's)."""
    run(
        shell,
        """
import ray.train
import tunebook as tb
from ray.train import ScalingConfig
from ray.train.torch import TorchTrainer

def train_func(config):
    ray.train.report({"loss": config["lr"]})

trainer = TorchTrainer(train_func, scaling_config=ScalingConfig(num_workers=1))
flat_space = {"lr": tb.uniform(0.1, 1)}
""",
    )
    with pytest.raises(tb.OptionError, match="a TorchTrainer is tuned over its train_loop_config"):
        run(shell, "%tune trainer --space flat_space --metric loss --mode min -n 1")


def test_line_magic_takes_the_checkpoint_options(shell):
    run(
        shell,
        """
import tunebook as tb

def kept(config):
    for step in range(4):
        tb.report(loss=abs(step - 2) * config["a"], state={"step": step})

kept_space = {"a": tb.uniform(0.5, 1)}
""",
    )
    exp = run(
        shell,
        "%tune kept --space kept_space --metric loss --mode min -n 1 --wait "
        "--keep-checkpoints 1 --checkpoint-score loss --max-failures 1",
    )
    results = exp.results
    settings = results.settings
    assert settings["checkpoint_score"] == {"metric": "loss", "mode": "min"}
    assert settings["keep_checkpoints"] == 1
    # the best (step 2) and the latest (step 3) are kept; the best one is the checkpoint
    assert results.trials["checkpoints"].tolist() == [2]
    assert results.best().checkpoint.endswith("checkpoint_000002")


def test_cell_magic_takes_adaptive_resources(shell):
    exp = run(
        shell,
        "%%tune --metric acc --mode max -n 1 --adaptive-resources --wait\n"
        "a = uniform(0, 1)\nacc = a\n",
    )
    assert exp.results.settings["adaptive_resources"] is True
    assert exp.results.trials["status"].tolist() == ["terminated"]


def test_tune_resume_names_what_it_cannot_find(shell):
    from tunebook.errors import OptionError

    with pytest.raises(OptionError, match=r"^no experiment 'nowhere' in .*magic"):
        run(shell, "%tune resume nowhere")  # the magic's storage_path, not the default
    with pytest.raises(MagicOptionError, match=r"^%tune resume NAME: the experiment's name"):
        run(shell, "%tune resume")


def test_tune_attach_follows_a_record_of_the_storage_and_lists_it_with_its_variable(shell):
    from tunebook.events import EVENTS_FILE, EventLog

    storage = Path(shell.magics_manager.registry["TuneMagic"].storage_path)
    log = EventLog(storage / "elsewhere" / EVENTS_FILE)
    log.append("experiment_started", name="elsewhere", metric="loss", mode="min")
    log.append("trial_started", trial_id="t1", config={"x": 0.5})
    followed = run(shell, "followed = %tune attach elsewhere\nfollowed")
    assert followed.detached and followed.name == "elsewhere" and not followed.done
    listing = run(shell, "%tune list")
    (row,) = listing[listing["name"] == "elsewhere"].to_dict("records")
    assert row["variable"] == "followed" and row["status"] == "running" and row["trials"] == 1
    with pytest.raises(MagicOptionError, match="%tune attach NAME"):
        run(shell, "%tune attach")
    log.append("experiment_ended", status="completed")
    assert followed.wait(timeout=10) and followed.status == "completed"
