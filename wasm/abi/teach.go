package abi

// The JSON results of the teaching exports, written by the module and
// read by hosts (the wazero host decodes them; site/mobilenet.js reads
// the same fields).

// TeachClass is a class of mn_teach_info.
type TeachClass struct {
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// TrainProgress is one epoch of mn_teach_train_step.
type TrainProgress struct {
	Epoch    int     `json:"epoch"`
	Phase    string  `json:"phase"`
	Loss     float64 `json:"loss"`
	TrainAcc float64 `json:"train_acc"`
	ValAcc   float64 `json:"val_acc"`
	ValLoss  float64 `json:"val_loss"`
	Best     bool    `json:"best"`
	Done     bool    `json:"done"`
}

// TeachHead describes the committed head in mn_teach_info.
type TeachHead struct {
	Classes int      `json:"classes"`
	Hidden  int      `json:"hidden"`
	Quant   bool     `json:"quant"`
	Labels  []string `json:"labels"`
}

// TeachInfo is mn_teach_info's result.
type TeachInfo struct {
	Model    string          `json:"model"`
	Dim      int             `json:"dim"`
	Quant    bool            `json:"quant"`
	Classes  []TeachClass    `json:"classes"`
	Head     *TeachHead      `json:"head"`
	Training bool            `json:"training"`
	History  []TrainProgress `json:"history"`
}
