from drrn_tf.cli import run

run()
